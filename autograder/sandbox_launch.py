"""Starts the IPython kernel inside the grading sandbox (bound read-only at /sandbox/launch.py;
it imports nothing from the course so that autograder/ need not be visible to learner code).

Output a cell prints is capped: past SANDBOX_OUTPUT_BYTES the rest is dropped with one notice,
so that a flood of prints cannot fill the grader's memory or the notebook.
"""
import os
import signal

# Over the file-size limit a write fails with an error instead of killing the kernel.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

from ipykernel import iostream, kernelapp  # noqa: E402

LIMIT = int(os.environ.get("SANDBOX_OUTPUT_BYTES", 2 * 2**20))
_written = {"bytes": 0, "stopped": False}
_write = iostream.OutStream.write


def _capped_write(self, text):
    if _written["bytes"] >= LIMIT:
        if not _written["stopped"]:
            _written["stopped"] = True
            # not a stream: nbgrader's own line limit drops every stream output past its first lines
            from IPython.display import display
            display({"text/plain": f"[output stopped: this notebook printed more than {LIMIT} bytes]"}, raw=True)
        return len(text)
    _written["bytes"] += len(text)
    return _write(self, text)


iostream.OutStream.write = _capped_write

if __name__ == "__main__":
    kernelapp.launch_new_instance()
