"""Score a lake table where it lives: on Spark in the executors, on DuckDB one record batch at a time.

Nothing is collected to the driver on Spark: the saved model's files (JSON state, LightGBM's booster text,
calibration and categories; never pickle) are broadcast, each partition loads the model once and scores its
rows with ``DataFrame.mapInPandas``. On DuckDB the rows stream through ``to_pyarrow_batches``. Either way each
row's score is the model's ``predict_proba`` of that row alone, so both engines give the same numbers.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from callwise.lake import Lake
from callwise.models.base import ResponseModel

SCORE = "score"
BATCH_ROWS = 100_000


def model_files(model: ResponseModel) -> dict[str, str]:
    """The saved model as file name → text, small enough to broadcast (what ``save`` writes)."""
    with tempfile.TemporaryDirectory() as tmp:
        model.save(tmp)
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(tmp).iterdir()) if p.is_file()}


def model_from_files(files: dict[str, str], directory: Path) -> ResponseModel:
    """The model back from :func:`model_files`' texts, written to ``directory`` (which then also holds what the
    model caches there, such as its compiled trees) and read by the ordinary loader."""
    from callwise.models import load_model

    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return load_model(directory)


_WORKER_MODELS: dict[str, ResponseModel] = {}  # per Python worker process: loaded (and compiled) once


def worker_model(files: dict[str, str]) -> ResponseModel:
    """The model of ``files``, loaded once per process into a private folder kept until the process ends.

    Spark reuses its Python workers across tasks, so the trees are compiled once per worker, not per partition.
    """
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode("utf-8")).hexdigest()
    if digest not in _WORKER_MODELS:
        folder = Path(tempfile.mkdtemp(prefix="callwise-model-"))  # mkdtemp: owner-only
        atexit.register(shutil.rmtree, folder, True)
        _WORKER_MODELS.clear()  # one model at a time: a new one replaces the last
        _WORKER_MODELS[digest] = model_from_files(files, folder)
    return _WORKER_MODELS[digest]


def score_batch(model: ResponseModel, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """``key`` and the model's probability for each row of ``frame``."""
    features = frame[list(model.feature_names_in_)]
    p = model.predict_proba(features)[:, 1] if len(frame) else np.empty(0)
    return pd.DataFrame({key: frame[key].to_numpy(), SCORE: np.asarray(p, dtype=np.float64)})


def score_on_lake(lake: Lake, features: ir.Table, model: ResponseModel, key: str = "customer_id") -> ir.Table:
    """``key`` and ``score`` for every row of ``features``, as a table on the lake's engine (not collected)."""
    wanted = [key, *(c for c in model.feature_names_in_ if c != key)]
    missing = [c for c in wanted if c not in features.columns]
    if missing:
        raise ValueError(f"the features lack the model's columns: {', '.join(missing[:5])}")
    inputs = features.select(*wanted)
    if lake.engine == "pyspark":
        return _score_spark(lake, inputs, model, key)
    return _score_duckdb(lake, inputs, model, key)


def _schema(inputs: ir.Table, key: str) -> pa.Schema:
    return pa.schema([(key, inputs.schema()[key].to_pyarrow()), (SCORE, pa.float64())])


def _score_duckdb(lake: Lake, inputs: ir.Table, model: ResponseModel, key: str) -> ir.Table:
    schema = _schema(inputs, key)
    batches = [
        pa.RecordBatch.from_pandas(score_batch(model, batch.to_pandas(), key), schema=schema, preserve_index=False)
        for batch in lake.batches(inputs, BATCH_ROWS)
    ]
    # In-process engine, in-process result: the scores (two columns) as an in-memory table joins the lake's.
    return ibis.memtable(pa.Table.from_batches(batches, schema=schema))


def _score_spark(lake: Lake, inputs: ir.Table, model: ResponseModel, key: str) -> ir.Table:
    from pyspark.sql.types import DoubleType, StructField, StructType

    from callwise.lake.spark import spark_frame

    frame = spark_frame(lake.con, inputs)
    files = frame.sparkSession.sparkContext.broadcast(model_files(model))
    schema = StructType([frame.schema[key], StructField(SCORE, DoubleType(), True)])

    def score_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        loaded = worker_model(files.value)
        for batch in batches:
            yield score_batch(loaded, batch, key)

    scored: Any = frame.mapInPandas(score_partition, schema=schema)
    name = ibis.util.gen_name("scores")
    scored.createOrReplaceTempView(name)
    return lake.con.table(name)
