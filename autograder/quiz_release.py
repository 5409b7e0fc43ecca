"""Release the quiz's answer cells as the line the learner fills in.

The quiz's answer cells (grade_id answer_q01, answer_q02, ...) must read `q01 = ""  # your
answer: ...` in the release, with no code stub: nbgrader's default stub,
`raise NotImplementedError()`, would stop "Run all" at the first question. Their solution
region is removed outright; every other solution cell keeps nbgrader's default behaviour.
"""
import re

from nbgrader.preprocessors import ClearSolutions


class ClearSolutionsQuizAware(ClearSolutions):
    QUIZ_ANSWER = re.compile(r"answer_q\d+")

    def _replace_solution_region(self, cell, language):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type != "code" or not self.QUIZ_ANSWER.fullmatch(grade_id):
            return super()._replace_solution_region(cell, language)
        kept, inside, found = [], False, False
        for line in cell.source.split("\n"):
            if self.begin_solution_delimeter in line:
                inside = found = True
            elif self.end_solution_delimeter in line:
                inside = False
            elif not inside:
                kept.append(line)
        if inside:
            raise RuntimeError(f"{grade_id}: no end solution statement found")
        cell.source = "\n".join(kept).rstrip("\n")
        return found

