/**
 * The Python side of the notebook step, run by the interpreter the step names:
 * `python runner.py IN.ipynb OUT.ipynb CWD`. It executes the notebook (its parameters cell already
 * injected) with nbclient, the executor papermill itself is built on, in a kernel of that same
 * interpreter, prints every cell's output as it comes (the step's log), and writes the executed
 * notebook even when a cell fails. Kept as text here so it ships inside the bundled `wharf` command.
 *
 * Exit codes: 0 done; 1 a cell raised (its traceback was printed); 2 the notebook could not be
 * run; 3 this environment lacks a module (`WHARF_NOTEBOOK_MISSING=` names them).
 */
export const notebookRunnerScript = String.raw`
import re
import sys

missing = []
for module in ("nbformat", "nbclient", "ipykernel"):
    try:
        __import__(module)
    except ImportError:
        missing.append(module)
if missing:
    print("WHARF_NOTEBOOK_MISSING=" + ",".join(missing), flush=True)
    sys.exit(3)

import os

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets import default

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SCRATCH = os.path.dirname(os.path.abspath(__file__))


class ThisPythonKernel(AsyncKernelManager):
    """A kernel of this very interpreter, whatever kernelspecs are installed elsewhere on the machine.

    It talks over Unix sockets in the step's private scratch folder, not TCP ports any local user could dial.
    """

    @default("transport")
    def _default_transport(self):
        return "ipc"

    @default("ip")
    def _default_ip(self):
        return os.path.join(SCRATCH, "kernel")

    @property
    def kernel_spec(self):
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name="python", language="python")


def emit(text):
    sys.stdout.write(ANSI.sub("", text))
    if not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()


class StreamingClient(NotebookClient):
    """Prints outputs while the cell runs, not only when it ends: a training cell can take hours."""

    def process_message(self, msg, cell, cell_index):
        output = super().process_message(msg, cell, cell_index)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            emit(content.get("text", ""))
        elif kind == "error":
            emit("\n".join(content.get("traceback", [])))
        elif kind in ("execute_result", "display_data") and "text/plain" in content.get("data", {}):
            emit(content["data"]["text/plain"])
        return output


def main(source, target, cwd):
    notebook = nbformat.read(source, as_version=4)
    code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    client = StreamingClient(
        notebook,
        kernel_manager_class=ThisPythonKernel,
        kernel_name="python3",
        timeout=None,
        resources={"metadata": {"path": cwd}},
        on_cell_start=lambda cell, cell_index: emit("[cell %d of %d]" % (code_cells.index(cell_index) + 1, len(code_cells))) if cell.cell_type == "code" else None,
    )
    try:
        client.execute()
    except CellExecutionError as err:
        print("WHARF_NOTEBOOK_FAILED=%s: %s" % (err.ename, err.evalue), flush=True)
        return 1
    finally:
        nbformat.write(notebook, target)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:4]))
    except SystemExit:
        raise
    except BaseException as err:
        print("WHARF_NOTEBOOK_ERROR=%s: %s" % (type(err).__name__, err), flush=True)
        sys.exit(2)
`
