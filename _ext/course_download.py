"""The course download in the built book, the links to it, and the JupyterHub launch button's one setting.

- After an HTML build, ``dlcourse.download.write_course_download`` writes ``downloads/dlcourse-course.zip``
  (the student notebooks, a wheel of dlcourse, the pinned requirements) and the wheel into the built book.
- Every chapter page (a document under ``chapters/``) gets, under its title, one line that links the
  download and "How to use this book": one place for every chapter, present and future.
- Pages link it with the role ``{course-download}`text```, which resolves to the download's URL relative to
  the page (the introduction and "How to use this book" use it).
- The JupyterHub launch button is Jupyter Book's (``launch_buttons.jupyterhub_url`` in ``_config.yml``;
  nbgitpuller clones ``repository.url`` onto the hub and opens the chapter's notebook). It is off while the
  URL is empty. A hub without a repository URL (or with Jupyter Book's own default one) would give a broken
  button, so the build stops with one sentence saying what to set.
"""
from pathlib import Path

from docutils import nodes
from sphinx.errors import ConfigError, ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.osutil import relative_uri

from dlcourse.download import ZIP_NAME

__all__ = ["DOWNLOAD_PATH", "CHAPTER_PREFIX", "setup"]

DOWNLOAD_DIR = "downloads"
DOWNLOAD_PATH = f"{DOWNLOAD_DIR}/{ZIP_NAME}"       # relative to the built book's root
CHAPTER_PREFIX = "chapters/"
HOW_TO_USE = "how_to_use"
JUPYTER_BOOK_DEFAULT_REPOSITORY = "https://github.com/executablebooks/jupyter-book"


def _download_uri(app, docname):
    return relative_uri(app.builder.get_target_uri(docname), DOWNLOAD_PATH)


def course_download_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{course-download}`the course download``` -> a link to the zip, relative to the page."""
    env = inliner.document.settings.env
    node = nodes.reference(rawtext, text, refuri=_download_uri(env.app, env.docname), internal=False,
                           classes=["dlcourse-download-link"])
    return [node], []


def _hub_url(config):
    return (config.html_theme_options.get("launch_buttons", {}) or {}).get("jupyterhub_url", "").strip()


class ChapterBanner(SphinxPostTransform):
    """Under the title of every chapter page: how to work on the chapter, with the download's link."""
    default_priority = 950
    formats = ("html",)

    def run(self, **kwargs):
        docname = self.env.docname
        title_section = self.document.next_node(nodes.section)
        if not docname.startswith(CHAPTER_PREFIX) or title_section is None:
            return
        builder = self.app.builder
        paragraph = nodes.paragraph()
        paragraph += nodes.strong("", "Work on this chapter yourself. ")
        paragraph += nodes.Text("Download its notebook with the download button at the top of the page, "
                                "or everything the chapters need (every notebook, the course package and its "
                                "requirements) as ")
        paragraph += nodes.reference("", "the course download", refuri=_download_uri(self.app, docname),
                                     internal=False, classes=["dlcourse-download-link"])
        if _hub_url(self.config):
            paragraph += nodes.Text(", or open it on your course's JupyterHub with the launch button")
        if HOW_TO_USE in self.env.all_docs:
            paragraph += nodes.Text(". ")
            paragraph += nodes.reference("", "How to use this book", internal=True,
                                         refuri=builder.get_relative_uri(docname, HOW_TO_USE))
            paragraph += nodes.Text(" says how to install it and how to check your work.")
        else:
            paragraph += nodes.Text(".")
        title_section.insert(1, nodes.container("", paragraph, classes=["dlcourse-banner"]))


def _check_launch_settings(app, config):
    options = config.html_theme_options
    repository = (options.get("repository_url") or "").strip().rstrip("/")
    if _hub_url(config) and repository in ("", JUPYTER_BOOK_DEFAULT_REPOSITORY):
        raise ConfigError("launch_buttons.jupyterhub_url is set but repository.url is not: set repository.url in "
                          "_config.yml to the course's public git repository, which nbgitpuller clones onto the hub.")


def _write_download(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from dlcourse.download import DownloadError, write_course_download
    try:
        write_course_download(Path(app.outdir) / DOWNLOAD_DIR)
    except DownloadError as error:
        raise ExtensionError(f"the course download: {error}") from None


def setup(app):
    app.add_role("course-download", course_download_role)
    app.add_post_transform(ChapterBanner)
    app.connect("config-inited", _check_launch_settings)
    app.connect("build-finished", _write_download)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
