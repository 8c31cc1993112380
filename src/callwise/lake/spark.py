"""The one place a Spark session is made for the lake (CALLWISE_ENGINE=pyspark).

A bank that runs Spark points SPARK_MASTER at its cluster, or hands callwise a session it already has (the
active one is reused). Otherwise the session is local: two cores, modest memory, no UI, few shuffle
partitions (Spark's default of 200 makes every group-by on one machine slow), quiet logs. The session clock
is UTC: the lake's timestamps are naive local times that Parquet files written by pyarrow mark as not
adjusted to UTC, which Spark reads as TIMESTAMP_NTZ; with a UTC session, anything Spark converts between
TIMESTAMP and TIMESTAMP_NTZ (a literal, a cast to date) keeps the wall-clock value, as DuckDB does.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from callwise.i18n.errors import Translated

LOCAL_MASTER = "local[2]"
# Settings of a session callwise starts itself; a session the bank made keeps its own (except the clock).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Batches of mapInPandas as large as the DuckDB side's, so scoring takes the compiled trees on both.
    "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
SESSION_CONF = {"spark.sql.session.timeZone": "UTC"}


class SparkUnavailable(Translated, RuntimeError):
    """The pyspark engine was asked for, but PySpark is not installed or Java cannot start."""


def spark_session() -> Any:
    """The active Spark session, else a new one on SPARK_MASTER (default ``local[2]``); refuses clearly."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable("lake.spark.not_installed") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        for key, value in SESSION_CONF.items():
            active.conf.set(key, value)
        return active
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SparkUnavailable("lake.spark.no_java")
    # Python workers run this interpreter (where callwise is installed), not whatever "python3" is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("callwise").master(os.environ.get("SPARK_MASTER") or LOCAL_MASTER)
    quiet = {"spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}"}
    memory = {"spark.driver.memory": os.environ.get("SPARK_DRIVER_MEMORY") or "2g"}  # Spark's own variable, if set
    for key, value in {**LOCAL_CONF, **memory, **quiet, **SESSION_CONF}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j's "Java gateway process exited", or the JVM's own refusal
        raise SparkUnavailable("lake.spark.cannot_start", problem=_first_line(exc)) from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def spark_frame(con: Any, expr: Any) -> Any:
    """The Spark DataFrame behind an Ibis expression on the pyspark backend (in-memory tables registered)."""
    con._run_pre_execute_hooks(expr)
    return con.raw_sql(con.compile(expr))
