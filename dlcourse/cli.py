"""The command line: ``python -m dlcourse <command>``.

Book: "Instructor guide".
"""
import argparse
import sys

__all__ = ["main"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlcourse", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    release_cmd = commands.add_parser("release", help="regenerate chapters/ from solutions/ with nbgrader")
    release_cmd.add_argument("--check", action="store_true",
                             help="do not write; exit 1 if chapters/ differs from a fresh release")
    release_cmd.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    commands.add_parser("instructor-source",
                        help="write _build/instructor_src, the instructor edition's source tree")
    args = parser.parse_args(argv)

    from . import editions, release
    if args.command == "instructor-source":
        print(f"wrote {editions.write_instructor_source()}")
    elif args.command == "release":
        if args.check:
            stale = release.stale_files()
            for path in stale:
                print(f"stale: {path}")
            print("chapters/ is up to date" if not stale else "run `python -m dlcourse release`")
            return 1 if stale else 0
        out = release.release(ids=args.chapters or None)
        print(f"wrote {', '.join(args.chapters or release.chapter_ids())} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
