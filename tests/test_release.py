"""The release gate: chapters/ is exactly what `python -m dlcourse release` makes from solutions/."""

import pytest

from dlcourse.conventions import HIDDEN_TESTS, SOLUTION, STUDENT_TAGS
from dlcourse.release import stale_files
from course_notebooks import (CHAPTERS, REPO, is_test_cell, nbgrader_meta, read, region_lines, source_path,
                              student_path)


def test_there_are_chapters():
    assert "02_backprop" in CHAPTERS


def test_chapters_are_a_fresh_release():
    stale = stale_files()
    assert not stale, f"chapters/ differs from a fresh release: {stale}; run `python -m dlcourse release`"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_sources_are_stored_without_outputs(chapter):
    for index, cell in enumerate(read(source_path(chapter)).cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {index} of solutions/{chapter} has outputs; clear them"
            assert cell.execution_count is None, f"cell {index} of solutions/{chapter} has an execution count"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_sources_carry_no_release_tags(chapter):
    for index, cell in enumerate(read(source_path(chapter)).cells):
        tags = set(cell.metadata.get("tags", []))
        assert not tags & set(STUDENT_TAGS), f"cell {index} of solutions/{chapter} is tagged {tags}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_or_hidden_test_leaks(chapter):
    source = read(source_path(chapter))
    student_text = "\n".join(cell.source for cell in read(student_path(chapter)).cells)
    assert not any(marker in student_text for marker in (*SOLUTION.words(), *HIDDEN_TESTS.words()))
    for cell in source.cells:
        leaked = [line for line in region_lines(cell, "solution", "hidden") if line in student_text]
        assert not leaked, f"solution or hidden-test lines leaked into chapters/{chapter}: {leaked}"
        if cell.cell_type == "markdown" and nbgrader_meta(cell).get("solution"):
            assert cell.source.strip() not in student_text, "a model answer leaked into the student version"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_nbgrader_metadata_is_consistent(chapter):
    cells = read(source_path(chapter)).cells
    metas = [nbgrader_meta(cell) for cell in cells if nbgrader_meta(cell)]
    ids = [meta["grade_id"] for meta in metas]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids in {chapter}"
    assert all(meta.get("schema_version") == 3 for meta in metas)
    tests = [cell for cell in cells if is_test_cell(cell)]
    written = [cell for cell in cells if cell.cell_type == "markdown" and nbgrader_meta(cell).get("grade")]
    assert len(tests) >= 5, "a chapter has at least 5 graded exercises"
    assert len(written) >= 2, "a chapter has at least 2 written questions"
    for cell in tests + written:
        assert nbgrader_meta(cell).get("points", 0) > 0
    for cell in tests:
        assert HIDDEN_TESTS.begin in cell.source, f"{nbgrader_meta(cell)['grade_id']} has no hidden tests"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_test_cells_are_tagged(chapter):
    for cell in read(student_path(chapter)).cells:
        if is_test_cell(cell):
            assert set(STUDENT_TAGS) <= set(cell.metadata.get("tags", []))


def test_every_chapter_is_in_the_book():
    toc = (REPO / "_toc.yml").read_text()
    for chapter in CHAPTERS:
        assert f"chapters/{chapter}/{chapter}" in toc


def test_instructor_edition_folds_the_solutions(tmp_path):
    from dlcourse.editions import write_instructor_source

    out = write_instructor_source(out=tmp_path / "instructor")
    assert (out / "_toc.yml").read_text() == (REPO / "_toc.yml").read_text()
    assert "(instructor edition)" in (out / "_config.yml").read_text()
    for chapter in CHAPTERS:
        cells = read(out / "chapters" / chapter / f"{chapter}.ipynb").cells
        folded = [cell for cell in cells if "hide-input" in cell.metadata.get("tags", [])]
        assert any("### BEGIN SOLUTION" in cell.source for cell in folded)
        assert any("### BEGIN HIDDEN TESTS" in cell.source for cell in folded)
        answers = [cell.source for cell in cells if cell.cell_type == "markdown" and "**Model answer.**" in cell.source]
        assert answers and all(answer.startswith("::::{container} dlcourse-model-answer\n**Model answer.** ")
                               and answer.endswith("\n::::") for answer in answers)
