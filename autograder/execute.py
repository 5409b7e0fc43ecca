"""nbgrader's Execute step, changed so that a kernel that dies (os._exit, a crash, the sandbox's
wall-clock kill) or stops answering (a loop that ignores the interrupt at the cell time limit)
costs the learner only the cells it did not run.

Stock nbgrader drops the whole notebook when its kernel dies. Here every code cell the kernel
never ran gets a `KernelDied` error output, so nbgrader scores the tests that did pass and fails
the rest (a test cell with no error would otherwise count as passed)."""
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

KERNEL_DIED = "KernelDied"
STOPPED = "the kernel died, was killed, or stopped answering before this cell ran"


class ExecuteSurvivingKernelDeath(Execute):
    def preprocess(self, nb, resources=None, km=None):
        try:
            return super().preprocess(nb, resources, km=km)
        except (DeadKernelError, CellTimeoutError):  # nbclient shuts the kernel down on the way out
            not_run = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()
                       and c.get("execution_count") is None and not c.get("outputs")]
            self.log.warning("the kernel died; %d cells did not run and are marked as failed", len(not_run))
            for cell in not_run:
                cell.outputs = [new_output("error", ename=KERNEL_DIED,
                                           evalue=STOPPED, traceback=[f"{KERNEL_DIED}: {STOPPED}"])]
            return nb, resources
