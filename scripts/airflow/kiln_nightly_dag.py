"""Example Airflow DAG: build a Kiln index every night with spark-submit.

An example to copy and adapt, not part of CI. It needs Airflow 2.4 or later and the
apache-airflow-providers-apache-spark package, plus a Spark connection (``spark_default``
here) whose master is your cluster (YARN, Kubernetes, standalone).

Each run builds version ``{{ ds_nodash }}`` (the run's logical date, e.g. 20261123) from that
day's embeddings, publishes it under OUTPUT, and moves OUTPUT/LATEST to it. Retrying is
always safe; see docs/PUBLISHING.md.

Exit codes of ``kiln build``, and what this DAG does with them:

  0  published, or already published from the same input and parameters (a re-run or a
     retry after a run that did publish: a cheap no-op)          -> success
  1  unexpected failure (I/O, lost executors, out of memory...)  -> retried after a delay
  2  bad options or index description                            -> failed, no retry
  3  bad input data (missing path or column, invalid rows)       -> failed, no retry
  4  conflict: version {{ ds_nodash }} exists but was built from other input or
     parameters, or is damaged                                   -> failed, no retry
  5  the build's measured recall is below --min-recall: nothing published,
     LATEST unchanged                                            -> failed, no retry

Codes 2-5 come back on every retry, so KilnBuildOperator turns them into
AirflowFailException, which Airflow does not retry. spark-submit passes on Kiln's exit code
only in client deploy mode, where the driver runs inside spark-submit; in cluster mode
every failure looks the same and is retried.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

# The builder job's application jar: builder-job/target/kiln-builder-job-<version>-app.jar,
# copied to where the Airflow workers can read it.
KILN_APP_JAR = "/opt/kiln/kiln-builder-job-0.1.0-SNAPSHOT-app.jar"
# A copy of conf/spark-defaults.conf.example (JVM flags for the Vector API and Java 17).
SPARK_PROPERTIES = "/opt/kiln/conf/spark-defaults.conf"

INPUT = "hdfs:///warehouse/item_embeddings/dt={{ ds }}"
OUTPUT = "hdfs:///indexes/items"  # HDFS renames are atomic; for S3 read docs/PUBLISHING.md

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
    schedule="@daily",
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
    KilnBuildOperator(
        task_id="kiln_build",
        conn_id="spark_default",
        deploy_mode="client",  # so that spark-submit exits with Kiln's exit code
        application=KILN_APP_JAR,
        java_class="dev.kiln.cli.KilnCli",
        name="kiln-build-{{ ds_nodash }}",
        properties_file=SPARK_PROPERTIES,
        application_args=[
            "build",
            "--input", INPUT,
            "--output", OUTPUT,
            "--index", "IVF4096,PQ32",
            "--metric", "ip",
            "--version", "{{ ds_nodash }}",
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
