"""Prices: GetProducts answers from the fixture in the Price List format (each entry a JSON
string), its filters pick one product among look-alikes, pages end; DescribeSpotPriceHistory
returns the fixture's cycling history for the window asked (plus the change in force at its
start), newest first, paged to the end; both are counted by the call log."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import Emulator, error_of

LINUX_FILTERS = [
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
]


@pytest.fixture
def pricing(emulator: Emulator) -> Any:
    return emulator.client("pricing")


@pytest.fixture
def ec2(emulator: Emulator) -> Any:
    return emulator.client("ec2")


def filters(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in pairs]


def on_demand_usd(entry: str) -> list[str]:
    """The hourly USD prices of one PriceList entry, read the way a client must."""
    product = json.loads(entry)
    return [
        dimension["pricePerUnit"]["USD"]
        for term in product["terms"]["OnDemand"].values()
        for dimension in term["priceDimensions"].values()
        if dimension["unit"] == "Hrs"
    ]


def test_get_products_finds_one_product_with_the_linux_shared_filters(pricing: Any) -> None:
    answer = pricing.get_products(
        ServiceCode="AmazonEC2",
        Filters=filters(("instanceType", "c5.xlarge"), ("regionCode", "us-east-1"), *LINUX_FILTERS),
        FormatVersion="aws_v1",
    )
    assert answer["FormatVersion"] == "aws_v1"
    assert len(answer["PriceList"]) == 1
    entry = answer["PriceList"][0]
    assert isinstance(entry, str)  # a JSON document inside the JSON answer, as on AWS
    product = json.loads(entry)
    attributes = product["product"]["attributes"]
    assert attributes["location"] == "US East (N. Virginia)"
    assert attributes["instanceType"] == "c5.xlarge"
    assert product["serviceCode"] == "AmazonEC2"
    assert on_demand_usd(entry) == ["0.1700000000"]
    assert "NextToken" not in answer


def test_look_alikes_come_back_without_the_filters(pricing: Any) -> None:
    answer = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters(("instanceType", "m5.large"), ("location", "EU (Ireland)")))
    prices = sorted(float(p) for entry in answer["PriceList"] for p in on_demand_usd(entry))
    # Linux shared, dedicated, Windows, SQL Server, unused reservation: five different prices.
    assert len(prices) == 5 and len(set(prices)) == 5
    assert 0.107 in prices and 0.0 in prices


def test_term_match_ignores_case_and_unknown_types_find_nothing(pricing: Any) -> None:
    answer = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters(("instanceType", "T3.MEDIUM"), ("regionCode", "us-east-1"), *LINUX_FILTERS))
    assert [on_demand_usd(e) for e in answer["PriceList"]] == [["0.0416000000"]]
    missing = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters(("instanceType", "u-12tb1.112xlarge"), ("regionCode", "us-east-1")))
    assert missing["PriceList"] == []


def test_get_products_pages_to_the_end(pricing: Any) -> None:
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs = {"NextToken": token} if token else {}
        answer = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters(("regionCode", "us-east-1")), MaxResults=7, **kwargs)
        seen.extend(answer["PriceList"])
        pages += 1
        token = answer.get("NextToken")
        if not token:
            break
    # 7 types × 5 products each in us-east-1.
    assert len(seen) == 35 and len(set(seen)) == 35
    assert pages == 5


def test_bad_get_products_requests_are_refused(pricing: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        pricing.get_products(ServiceCode="AmazonEC2", NextToken="forged")
    assert error_of(excinfo)[0] == "InvalidNextTokenException"


def spot_history(ec2: Any, instance_type: str, hours: int, **extra: Any) -> tuple[list[dict[str, Any]], int]:
    end = dt.datetime.now(dt.timezone.utc)
    records: list[dict[str, Any]] = []
    token = None
    calls = 0
    while True:
        kwargs = {"NextToken": token} if token else {}
        answer = ec2.describe_spot_price_history(
            InstanceTypes=[instance_type],
            ProductDescriptions=["Linux/UNIX", "Linux/UNIX (Amazon VPC)"],
            StartTime=end - dt.timedelta(hours=hours),
            EndTime=end,
            **extra,
            **kwargs,
        )
        calls += 1
        records.extend(answer["SpotPriceHistory"])
        token = answer.get("NextToken")
        if not token:
            return records, calls


def test_spot_history_cycles_around_the_fixtures_middle_price(ec2: Any) -> None:
    records, calls = spot_history(ec2, "c5.xlarge", 168)
    assert calls == 1
    by_zone: dict[str, list[float]] = {}
    for r in records:
        assert r["InstanceType"] == "c5.xlarge" and r["ProductDescription"] == "Linux/UNIX"
        by_zone.setdefault(r["AvailabilityZone"], []).append(float(r["SpotPrice"]))
    assert sorted(by_zone) == ["us-east-1a", "us-east-1b", "us-east-1c"]
    # A change every 4 hours: 42 in a week, plus the one in force at the window's start.
    assert {len(v) for v in by_zone.values()} == {43}
    assert statistics.median(by_zone["us-east-1a"]) == 0.068
    assert (min(by_zone["us-east-1b"]), max(by_zone["us-east-1b"])) == (0.069, 0.076)
    # Newest first.
    stamps = [r["Timestamp"] for r in records]
    assert stamps == sorted(stamps, reverse=True)


def test_spot_history_includes_the_price_in_force_at_the_start(ec2: Any) -> None:
    records, _ = spot_history(ec2, "m5.large", 1, AvailabilityZone="us-east-1a")
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert 1 <= len(records) <= 2
    assert min(r["Timestamp"] for r in records) <= start


def test_spot_history_pages_to_the_end(ec2: Any) -> None:
    whole, _ = spot_history(ec2, "c5.xlarge", 168)
    paged, calls = spot_history(ec2, "c5.xlarge", 168, MaxResults=50)
    assert calls == 3
    assert [(r["AvailabilityZone"], r["Timestamp"]) for r in paged] == [(r["AvailabilityZone"], r["Timestamp"]) for r in whole]


def test_types_without_spot_history_return_nothing(ec2: Any) -> None:
    records, _ = spot_history(ec2, "p4d.24xlarge", 168)
    assert records == []


def test_price_calls_are_counted_with_their_types(emulator: Emulator, pricing: Any, ec2: Any) -> None:
    pricing.get_products(ServiceCode="AmazonEC2", Filters=filters(("instanceType", "c5d.xlarge"), ("regionCode", "eu-west-1")))
    spot_history(ec2, "c5d.xlarge", 24)
    counts = emulator.control("GET", "/_emulator/calls?resource=c5d.xlarge")
    assert counts["pricing:GetProducts"] >= 1
    assert counts["ec2:DescribeSpotPriceHistory"] >= 1
    assert emulator.control("GET", "/_emulator/calls?resource=eu-west-1").get("pricing:GetProducts", 0) >= 1
