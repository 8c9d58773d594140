#!/usr/bin/python3
"""Imports kiln_nightly_dag.py against stand-in Airflow modules and checks what it declares.

No Airflow is installed here: the stand-ins record each operator's arguments, so this checks
the DAG's own decisions (the tasks and their order, the Spark settings, the templates, the
schedule, the exit-code handling), not Airflow. Run by AirflowDagTest; exits non-zero with a
message on the first failed check.

usage: check_dag.py [REPO_ROOT]
"""
import importlib.util
import os
import re
import sys
import types

sys.dont_write_bytecode = True  # no __pycache__ beside the DAG in the work tree

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")


class AirflowException(Exception):
    pass


class AirflowFailException(AirflowException):
    pass


class Task:
    """An operator: its keyword arguments and the tasks downstream of it."""
    tasks = []

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.task_id = kwargs["task_id"]
        self.downstream = []
        Task.tasks.append(self)

    def __rshift__(self, other):
        self.downstream.append(other)
        return other


class SparkSubmitOperator(Task):
    error = None  # set by the check: what spark-submit "failed" with

    def execute(self, context):
        if SparkSubmitOperator.error:
            raise AirflowException(SparkSubmitOperator.error)
        return "ok"


class DAG:
    def __init__(self, dag_id, **kwargs):
        self.dag_id = dag_id
        self.kwargs = kwargs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class CronDataIntervalTimetable:
    def __init__(self, cron, timezone):
        self.cron = cron
        self.timezone = timezone


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


module("airflow", DAG=DAG)
module("airflow.exceptions", AirflowException=AirflowException,
       AirflowFailException=AirflowFailException)
module("airflow.operators")
module("airflow.operators.bash", BashOperator=type("BashOperator", (Task,), {}))
for pkg in ("airflow.providers", "airflow.providers.apache", "airflow.providers.apache.hdfs",
            "airflow.providers.apache.hdfs.sensors", "airflow.providers.apache.spark",
            "airflow.providers.apache.spark.operators", "airflow.timetables"):
    module(pkg)
module("airflow.providers.apache.hdfs.sensors.web_hdfs",
       WebHdfsSensor=type("WebHdfsSensor", (Task,), {}))
module("airflow.providers.apache.spark.operators.spark_submit",
       SparkSubmitOperator=SparkSubmitOperator)
module("airflow.timetables.interval", CronDataIntervalTimetable=CronDataIntervalTimetable)


def check(ok, what):
    if not ok:
        print("check_dag: " + what, file=sys.stderr)
        sys.exit(1)


path = os.path.join(ROOT, "scripts", "airflow", "kiln_nightly_dag.py")
spec = importlib.util.spec_from_file_location("kiln_nightly_dag", path)
dag_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dag_module)

by_id = {t.task_id: t for t in Task.tasks}
check(sorted(by_id) == ["input_ready", "kiln_build", "sync_to_serving"],
      f"tasks are {sorted(by_id)}")
check(by_id["input_ready"].downstream == [by_id["kiln_build"]]
      and by_id["kiln_build"].downstream == [by_id["sync_to_serving"]],
      "the order is input_ready >> kiln_build >> sync_to_serving")
check(by_id["input_ready"].kwargs["filepath"].endswith("/_SUCCESS"),
      "the sensor waits for the input's _SUCCESS marker")

build = by_id["kiln_build"].kwargs
check("properties_file" not in build,
      "no properties_file: it would replace the cluster's spark-defaults.conf")
check(build["deploy_mode"] == "client", "client deploy mode, so exit codes reach Airflow")

# The JVM flags are the parent pom's, as defaultJavaOptions on both sides.
pom = open(os.path.join(ROOT, "pom.xml")).read()
flags = " ".join(re.search(r"<%s>(.*?)</%s>" % (p, p), pom).group(1)
                 for p in ("kiln.jvm.vector", "spark.jvm.opens"))
for side in ("driver", "executor"):
    check(build["conf"].get(f"spark.{side}.defaultJavaOptions") == flags,
          f"spark.{side}.defaultJavaOptions is the pom's flags")
    check(f"spark.{side}.extraJavaOptions" not in build["conf"],
          f"spark.{side}.extraJavaOptions is the cluster's to set")

# Every template names the data interval, never the run's logical date.
def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, (list, tuple)):
        for x in v:
            yield from strings(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)

templated = [s for t in Task.tasks for s in strings(t.kwargs) if "{{" in s]
check(templated, "the tasks use templates")
for s in templated:
    check("data_interval_start" in s and not re.search(r"\{\{\s*ds", s),
          f"template {s!r} must use data_interval_start, not ds")
args = build["application_args"]
check(args[args.index("--version") + 1] == "{{ data_interval_start | ds_nodash }}",
      "the version is the data day")

schedule = dag_module.dag.kwargs["schedule"]
check(isinstance(schedule, CronDataIntervalTimetable) and schedule.timezone == "UTC",
      "the schedule is a CronDataIntervalTimetable in UTC")

# Exit codes 2-5 fail at once; others are retried.
op = next(t for t in Task.tasks if t.task_id == "kiln_build")
for code, final in ((1, False), (2, True), (3, True), (4, True), (5, True), (137, False)):
    SparkSubmitOperator.error = f"Cannot execute: spark-submit. Error code is: {code}."
    try:
        op.execute({})
        check(False, f"exit code {code} must fail the task")
    except AirflowFailException:
        check(final, f"exit code {code} must be retried")
    except AirflowException:
        check(not final, f"exit code {code} must fail without retries")
SparkSubmitOperator.error = None
check(op.execute({}) == "ok", "a successful spark-submit succeeds")
print("check_dag: ok")
