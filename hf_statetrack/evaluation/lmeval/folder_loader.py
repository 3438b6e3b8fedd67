"""An exported task's rows, read from the parquet file beside this file: lm-eval's ``custom_dataset`` hook.

`statetrack lm-eval export` copies this file into the folder it writes, as ``statetrack_rows.py``, and every
task YAML there names it (``custom_dataset: !function statetrack_rows.load``, ``dataset_kwargs: {data_files:
{test: statetrack_S5_len4.parquet}}``). lm-eval imports it from the YAML's own folder and calls
``load(**metadata, **dataset_kwargs)``. Paths are resolved against this file's folder, not the working
directory, so the folder works wherever it is copied or moved: lm-eval hands a plain ``data_files`` to
`datasets` as written, which reads relative paths from the working directory. Needs only `datasets`.
"""

from pathlib import Path

import datasets

HERE = Path(__file__).resolve().parent


def load(data_files: dict, **metadata) -> datasets.DatasetDict:
    """{split: file name beside this file} -> those splits (lm-eval's other keywords are not needed here)."""
    return datasets.load_dataset("parquet", data_files={split: str(HERE / name) for split, name in data_files.items()})
