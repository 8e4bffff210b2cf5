"""nbgrader preprocessors of the course: two the grading worker adds after Execute, one for release.

CapOutputs: nbgrader's LimitOutput counts lines; one enormous line (or a huge
repr) would still bloat the autograded notebook and the feedback HTML.
KillLeftovers: the kernel has been shut down by then, but a process the
student's code started (a daemon that would rewrite the gradebook or the
notebook after grading) may still run; it is killed before anything is saved.
"""
import psutil
from traitlets import Integer

from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

TRUNCATED = "... output truncated by the grader ..."


class CapOutputs(NbGraderPreprocessor):
    """Truncate text outputs to max_chars; drop rich outputs larger than max_chars."""

    max_chars = Integer(20000, help="most characters kept per output").tag(config=True)

    def _cap(self, text):
        return text if len(text) <= self.max_chars else text[:self.max_chars] + "\n" + TRUNCATED

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = self._cap(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                for mime in list(data):
                    value = data[mime] if isinstance(data[mime], str) else str(data[mime])
                    if mime == "text/plain":
                        data[mime] = self._cap(value)
                    elif len(value) > self.max_chars * 10:
                        del data[mime]
                if not data:
                    data["text/plain"] = TRUNCATED
        return cell, resources


class KillLeftovers(NbGraderPreprocessor):
    """Kill every descendant of the grading worker before grades are saved.

    The worker is a child subreaper (see worker.py), so even a double-forked
    daemon stays its descendant.
    """

    def preprocess(self, nb, resources):
        from rnn_helpers.course.isolation import kill_processes

        procs = psutil.Process().children(recursive=True)
        kill_processes(procs)
        if procs:
            self.log.warning("killed %d process(es) left by the notebook", len(procs))
        return nb, resources


class ClearSolutionsNamingTheFunction(ClearSolutions):
    """nbgrader's ClearSolutions, with a stub that names what the cell must define.

    nbgrader writes the same `raise NotImplementedError()` into every solution
    cell; a student who runs all cells then sees an error that does not say
    which function is missing. The solution cell of function F has grade_id F
    (the exercise API's convention), so the stub can name it.
    """

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not grade_id:
            return super().preprocess_cell(cell, resources, index)
        original = self.code_stub
        language = resources["language"]
        self.code_stub = dict(original, **{language: (
            "# YOUR CODE HERE\n"
            f'raise NotImplementedError("{grade_id} is not written yet: '
            'replace this line with your code")')})
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self.code_stub = original


def generate_preprocessors():
    """nbgrader's generate_assignment preprocessors with the naming ClearSolutions."""
    from nbgrader.converters import GenerateAssignment

    default = GenerateAssignment.class_traits()["preprocessors"].default()
    return [ClearSolutionsNamingTheFunction if p is ClearSolutions else p for p in default]
