"""Example Airflow DAG: build a Kiln index every night with spark-submit.

An example to copy and adapt (scripts/airflow/check_dag.py imports it against stand-in Airflow
modules; it is not run against a real Airflow in CI). It needs Airflow 2.4 or later (3.x too),
the apache-airflow-providers-apache-spark and apache-airflow-providers-apache-hdfs packages,
a Spark connection (``spark_default`` here) whose master is your cluster (YARN, Kubernetes,
standalone) and a WebHDFS connection (``webhdfs_default``).

Each run waits for the day's embeddings (their ``_SUCCESS`` marker), builds version
``YYYYMMDD`` of the day whose data it processes, publishes it under OUTPUT, moves
OUTPUT/LATEST to it, and copies it to the serving hosts with ``kiln sync``. Retrying is always
safe; see docs/PUBLISHING.md.

Which day: the schedule is a CronDataIntervalTimetable, so each run covers the previous day
(``data_interval_start`` .. ``data_interval_end``) on Airflow 2 and 3 alike. (Under Airflow 3
``schedule="@daily"`` means a CronTriggerTimetable, whose runs have no interval: ``{{ ds }}``
would be the run's own day, whose data is not complete yet.) The templates below use
``data_interval_start``, never ``ds``.

Spark settings: the JVM flags go in ``spark.{driver,executor}.defaultJavaOptions``, which
Spark puts before the ``extraJavaOptions``, so the cluster's spark-defaults.conf (event logs,
queues, Kerberos, its own extraJavaOptions) stays in force: no ``properties_file``.

Exit codes of ``kiln build``, and what this DAG does with them:

  0  published, or already published from the same input and parameters (a re-run or a
     retry after a run that did publish: a cheap no-op)          -> success
  1  unexpected failure (I/O, lost executors, out of memory...)  -> retried after a delay
  2  bad options or index description                            -> failed, no retry
  3  bad input data (missing path or column, invalid rows)       -> failed, no retry
  4  conflict: version YYYYMMDD exists but was built from other input or
     parameters, or is damaged                                   -> failed, no retry
  5  the build's measured recall is below --min-recall: nothing published,
     LATEST unchanged                                            -> failed, no retry

Codes 2-5 come back on every retry, so KilnBuildOperator turns them into
AirflowFailException, which Airflow does not retry. spark-submit passes on Kiln's exit code
only in client deploy mode, where the driver runs inside spark-submit; in cluster mode
every failure looks the same, and the build's OUTPUT/_status/VERSION.json (its exitCode)
is what tells them apart.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.operators.bash import BashOperator
from airflow.providers.apache.hdfs.sensors.web_hdfs import WebHdfsSensor
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.timetables.interval import CronDataIntervalTimetable

# The builder job's application jar: builder-job/target/kiln-builder-job-<version>-app.jar,
# copied to where the Airflow workers can read it.
KILN_APP_JAR = "/opt/kiln/kiln-builder-job-0.1.0-SNAPSHOT-app.jar"
# The JVM flags Kiln needs (the Vector API; the --add-opens Spark needs on Java 17), as in
# conf/spark-defaults.conf.example.
KILN_JVM_FLAGS = " ".join([
    "--add-modules=jdk.incubator.vector",
    *(f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
        "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref",
        "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar")),
    "-Djdk.reflect.useDirectMethodHandle=false",
    "-Dio.netty.tryReflectionSetAccessible=true",
])

# The day whose data a run processes, and the version it builds.
DAY = "{{ data_interval_start | ds }}"
VERSION = "{{ data_interval_start | ds_nodash }}"

INPUT_PATH = "/warehouse/item_embeddings/dt=" + DAY
INPUT = "hdfs://" + INPUT_PATH
OUTPUT = "hdfs:///indexes/items"  # HDFS renames are atomic; for S3 read docs/PUBLISHING.md
# Where serving hosts keep their copy (kiln sync checks every file, then moves LATEST).
SERVING_ROOT = "/srv/index/items"

# Exit codes that a retry cannot fix.
NO_RETRY = {
    2: "bad options or index description",
    3: "bad input data",
    4: "conflict with a published version",
    5: "recall below the --min-recall publish gate; LATEST unchanged",
}


class KilnBuildOperator(SparkSubmitOperator):
    """spark-submit of ``kiln build`` that fails at once, without retries, on exit codes 2-5."""

    def execute(self, context):
        try:
            return super().execute(context)
        except AirflowException as e:
            # The Spark provider reports "... Error code is: N." when spark-submit exits with N.
            m = re.search(r"Error code is: (\d+)", str(e))
            code = int(m.group(1)) if m else None
            if code in NO_RETRY:
                raise AirflowFailException(
                    f"kiln build exited with {code} ({NO_RETRY[code]}): a retry cannot help;"
                    " the 'kiln: error:' line in the log says what to fix"
                ) from e
            raise


with DAG(
    dag_id="kiln_nightly",
    description="Build the item-embedding index with Kiln",
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone="UTC"),  # yesterday, at 02:00
    start_date=datetime(2026, 11, 1),
    # A build always points LATEST at what it publishes, so catching up on old dates would move
    # LATEST back to them. Backfill into another root instead.
    catchup=False,
    # Never two builds of the same root at once (on S3 they could interleave).
    max_active_runs=1,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(minutes=10),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(hours=1),
    },
    tags=["kiln"],
) as dag:
    # The producer writes _SUCCESS last; until then the day's files may be incomplete.
    input_ready = WebHdfsSensor(
        task_id="input_ready",
        webhdfs_conn_id="webhdfs_default",
        filepath=INPUT_PATH + "/_SUCCESS",
        mode="reschedule",
        poke_interval=10 * 60,
        timeout=12 * 60 * 60,
    )
    build = KilnBuildOperator(
        task_id="kiln_build",
        conn_id="spark_default",
        deploy_mode="client",  # so that spark-submit exits with Kiln's exit code
        application=KILN_APP_JAR,
        java_class="dev.kiln.cli.KilnCli",
        name="kiln-build-" + VERSION,
        conf={
            "spark.driver.defaultJavaOptions": KILN_JVM_FLAGS,
            "spark.executor.defaultJavaOptions": KILN_JVM_FLAGS,
        },
        application_args=[
            "build",
            "--input", INPUT,
            "--output", OUTPUT,
            "--index", "IVF4096,PQ32",
            "--metric", "ip",
            "--version", VERSION,
            "--seed", "1234",
            # Other builds' staging directories idle for this long are leftovers of killed
            # builds; keep it well above a minute while builds may overlap.
            "--staging-grace", "6h",
            # Serving switches over only if tonight's index is as good as intended: the build
            # measures recall on 1,000 held-out items and publishes only above this floor.
            "--min-recall", "0.9",
            "--at-nprobe", "32",
        ],
        execution_timeout=timedelta(hours=6),
    )
    # On each serving host (here: one, through a shell on it; use your deployment tool for a
    # fleet), copy the new version locally; ServingIndex's poller swaps to it.
    sync = BashOperator(
        task_id="sync_to_serving",
        bash_command=(
            "/opt/kiln/scripts/kiln sync --from " + OUTPUT + " --to " + SERVING_ROOT
            + " --version " + VERSION
        ),
        retries=3,
    )
    input_ready >> build >> sync
