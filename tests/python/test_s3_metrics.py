"""S3 request metrics end to end with boto3: bucket metrics configurations
(Put/Get/List/DeleteBucketMetricsConfiguration) and the AWS/S3 request metrics (dimensions
BucketName and FilterId) that S3 publishes to CloudWatch once a minute for the requests each
configuration selects. The module has its own server, since it moves the clock.
"""
import datetime

import pytest

from conftest import S3_PATH_STYLE, code_of


def nimbus_now(server):
    now = server.admin("GET", "/_nimbus/clock")["now"]
    return datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))


def advance_a_minute(server):
    """Runs the sweepers: S3 publishes the minute's request metrics to CloudWatch."""
    server.admin("POST", "/_nimbus/clock", {"advance_seconds": 60})


def test_metrics_configurations(server, unique):
    s3 = server.client("s3", **S3_PATH_STYLE)
    bucket = f"metrics-cfg-{unique}"
    s3.create_bucket(Bucket=bucket)
    assert code_of(s3.get_bucket_metrics_configuration, Bucket=bucket, Id="none") == ("NoSuchConfiguration", 404)
    assert code_of(s3.delete_bucket_metrics_configuration, Bucket=bucket, Id="none") == ("NoSuchConfiguration", 404)
    listed = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert listed["IsTruncated"] is False and "MetricsConfigurationList" not in listed

    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="EntireBucket", MetricsConfiguration={"Id": "EntireBucket"})
    s3.put_bucket_metrics_configuration(
        Bucket=bucket, Id="docs", MetricsConfiguration={"Id": "docs", "Filter": {"Prefix": "docs/"}})
    tagged = {"Id": "tagged", "Filter": {"And": {"Prefix": "data/", "Tags": [{"Key": "team", "Value": "a"}]}}}
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="tagged", MetricsConfiguration=tagged)

    got = s3.get_bucket_metrics_configuration(Bucket=bucket, Id="docs")["MetricsConfiguration"]
    assert got == {"Id": "docs", "Filter": {"Prefix": "docs/"}}
    assert s3.get_bucket_metrics_configuration(Bucket=bucket, Id="tagged")["MetricsConfiguration"] == tagged
    assert s3.get_bucket_metrics_configuration(Bucket=bucket, Id="EntireBucket")["MetricsConfiguration"] == {"Id": "EntireBucket"}
    listed = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert [c["Id"] for c in listed["MetricsConfigurationList"]] == ["EntireBucket", "docs", "tagged"]
    assert listed["IsTruncated"] is False

    # AWS's refusals: ids of the query and the body differ, bad ids, <And> with one predicate.
    assert code_of(s3.put_bucket_metrics_configuration, Bucket=bucket, Id="one",
                   MetricsConfiguration={"Id": "two"}) == ("InvalidArgument", 400)
    assert code_of(s3.put_bucket_metrics_configuration, Bucket=bucket, Id="no spaces",
                   MetricsConfiguration={"Id": "no spaces"}) == ("InvalidArgument", 400)
    assert code_of(s3.put_bucket_metrics_configuration, Bucket=bucket, Id="lonely",
                   MetricsConfiguration={"Id": "lonely", "Filter": {"And": {"Prefix": "p/"}}}) == ("MalformedXML", 400)
    assert code_of(s3.put_bucket_metrics_configuration, Bucket=f"missing-{unique}", Id="x",
                   MetricsConfiguration={"Id": "x"}) == ("NoSuchBucket", 404)

    s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="docs")
    assert code_of(s3.get_bucket_metrics_configuration, Bucket=bucket, Id="docs") == ("NoSuchConfiguration", 404)
    listed = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert [c["Id"] for c in listed["MetricsConfigurationList"]] == ["EntireBucket", "tagged"]


def test_request_metrics_reach_cloudwatch(server, unique):
    s3 = server.client("s3", **S3_PATH_STYLE)
    cloudwatch = server.client("cloudwatch")
    bucket, quiet = f"metrics-{unique}", f"quiet-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=quiet)
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="EntireBucket", MetricsConfiguration={"Id": "EntireBucket"})
    s3.put_bucket_metrics_configuration(
        Bucket=bucket, Id="docs", MetricsConfiguration={"Id": "docs", "Filter": {"Prefix": "docs/"}})
    # The configuration requests above are this minute's too: start from a clean minute.
    advance_a_minute(server)

    s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="img/b.png", Body=b"0123456789")
    s3.put_object(Bucket=quiet, Key="docs/a.txt", Body=b"not counted")
    for _ in range(3):
        assert s3.get_object(Bucket=bucket, Key="docs/a.txt")["Body"].read() == b"hello"
    for key in ("docs/missing", "img/missing"):
        assert code_of(s3.get_object, Bucket=bucket, Key=key) == ("NoSuchKey", 404)
    s3.list_objects_v2(Bucket=bucket)
    advance_a_minute(server)
    now = nimbus_now(server)

    def datapoints(metric, filter_id, name="Sum", bucket_name=bucket):
        out = cloudwatch.get_metric_statistics(
            Namespace="AWS/S3", MetricName=metric,
            Dimensions=[{"Name": "BucketName", "Value": bucket_name}, {"Name": "FilterId", "Value": filter_id}],
            StartTime=now - datetime.timedelta(minutes=5), EndTime=now + datetime.timedelta(minutes=5),
            Period=60, Statistics=[name])
        return sorted(out["Datapoints"], key=lambda p: p["Timestamp"])

    def latest(metric, filter_id, name="Sum", bucket_name=bucket):
        """The statistic of the latest minute with requests: the one just published."""
        points = datapoints(metric, filter_id, name, bucket_name)
        return points[-1][name] if points else None

    assert latest("GetRequests", "EntireBucket") == 5.0
    assert latest("PutRequests", "EntireBucket") == 2.0
    assert latest("ListRequests", "EntireBucket") == 1.0
    assert latest("AllRequests", "EntireBucket") == 8.0
    assert latest("4xxErrors", "EntireBucket") == 2.0
    # Error metrics are per-request samples of 0 or 1: their average is the error rate.
    assert latest("4xxErrors", "EntireBucket", "Average") == 0.25
    assert latest("5xxErrors", "EntireBucket") == 0.0
    assert latest("BytesUploaded", "EntireBucket") == 15.0
    assert latest("FirstByteLatency", "EntireBucket", "SampleCount") == 8.0
    assert latest("TotalRequestLatency", "EntireBucket", "SampleCount") == 8.0
    assert latest("BytesDownloaded", "EntireBucket") >= 15.0

    # The prefix filter counts only requests on docs/ keys (not the bucket listing, nor the
    # bucket's configuration requests).
    assert latest("GetRequests", "docs") == 4.0
    assert latest("PutRequests", "docs") == 1.0
    assert latest("AllRequests", "docs") == 5.0
    assert latest("4xxErrors", "docs") == 1.0
    assert latest("BytesUploaded", "docs") == 5.0
    assert datapoints("ListRequests", "docs") == []
    assert len(datapoints("AllRequests", "docs")) == 1
    # A bucket without a metrics configuration publishes nothing.
    assert datapoints("AllRequests", "EntireBucket", bucket_name=quiet) == []

    listed = cloudwatch.list_metrics(Namespace="AWS/S3", Dimensions=[{"Name": "BucketName", "Value": bucket}])["Metrics"]
    names = {(m["MetricName"], {d["Name"]: d["Value"] for d in m["Dimensions"]}["FilterId"]) for m in listed}
    assert ("GetRequests", "docs") in names and ("TotalRequestLatency", "EntireBucket") in names

    # A minute without requests publishes nothing (AWS publishes request metrics only for
    # minutes with requests): the latest datapoint stays the one above.
    published = datapoints("AllRequests", "docs")[-1]["Timestamp"]
    advance_a_minute(server)
    assert datapoints("AllRequests", "docs")[-1]["Timestamp"] == published


@pytest.mark.parametrize("method", ["put_object", "head_object"])
def test_requests_to_buckets_without_configurations_are_not_counted(server, unique, method):
    s3 = server.client("s3", **S3_PATH_STYLE)
    cloudwatch = server.client("cloudwatch")
    bucket = f"plain-{method.replace('_', '-')}-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    getattr(s3, method)(Bucket=bucket, Key="k", **({"Body": b"y"} if method == "put_object" else {}))
    advance_a_minute(server)
    listed = cloudwatch.list_metrics(Namespace="AWS/S3", Dimensions=[{"Name": "BucketName", "Value": bucket}])
    assert listed["Metrics"] == []
