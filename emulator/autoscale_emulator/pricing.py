"""Prices: the AWS Price List Query API's GetProducts (which moto 5.2.5 does not have) and EC2
DescribeSpotPriceHistory (which moto answers with one made-up record per zone), both served from
the fixture ``data/prices.json`` so that tests and the demo see fixed, documented prices.

GetProducts (JSON 1.1 protocol, target ``AWSPriceListService.GetProducts``) answers with
``PriceList`` entries that are JSON *strings*, each one product in the Price List format:
``{"product": {"productFamily", "attributes": {...}, "sku"}, "serviceCode", "terms":
{"OnDemand": {"<sku>.<offer>": {"priceDimensions": {"<sku>.<offer>.<rate>": {"unit": "Hrs",
"pricePerUnit": {"USD": "0.1700000000"}, ...}}, ...}}}, "version", "publicationDate"}`` — the
shape of botocore's own GetProducts example (data/pricing/2017-10-15/examples-1.json).
Next to each fixture price the catalogue holds the products a careless query would also match
(dedicated tenancy, Windows, SQL Server pre-installed, unused capacity reservations), priced
differently, so a client that leaves out a filter gets a wrong or ambiguous answer here as it
would on AWS. Filters: TERM_MATCH (case-insensitive equality, as AWS matches terms), EQUALS,
CONTAINS, ANY_OF and NONE_OF (comma-separated values). Pages of MaxResults (default and most
100) with an opaque NextToken.

DescribeSpotPriceHistory: each (instance type, zone) of the fixture has a price history that
cycles low, middle, high, middle with one change every ``spot_interval_hours``, on a grid
fixed to the clock (midnight UTC is a change), going back ``spot_history_days``. The answer
holds the changes between StartTime and EndTime plus the last change before StartTime (AWS:
"It also returns the last price change before the start time, which is the effective price as
of the start time"), newest first, filtered by instance type, product description and zone,
paged by MaxResults (default 1000) and NextToken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import pathlib
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

FIXTURE = pathlib.Path(__file__).resolve().parent / "data" / "prices.json"
GET_PRODUCTS_MAX = 100
SPOT_HISTORY_DEFAULT = 1000
SPOT_HISTORY_MAX = 1000
LINUX_DESCRIPTIONS = ("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
# The product the fixture's spot history is for; AWS reports "Linux/UNIX" for VPC instances.
SPOT_DESCRIPTION = "Linux/UNIX"
PUBLICATION = "2026-11-01T00:00:00Z"
VERSION = "20261101000000"
ON_DEMAND_OFFER = "JRTCKXETXF"
HOURLY_RATE = "6YS6EN2CT7"


@lru_cache(maxsize=1)
def fixture() -> dict[str, Any]:
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


# --- Price List products --------------------------------------------------------------------


def _sku(*parts: str) -> str:
    """A stable 16-character SKU for a product (AWS SKUs are opaque strings of that form)."""
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest().upper()
    return "".join(c for c in digest if c.isalnum())[:16]


def _product(region: str, info: dict[str, Any], instance_type: str, usd: str, **overrides: str) -> dict[str, Any]:
    attributes = {
        "servicecode": "AmazonEC2",
        "servicename": "Amazon Elastic Compute Cloud",
        "locationType": "AWS Region",
        "location": info["location"],
        "regionCode": region,
        "instanceType": instance_type,
        "instanceFamily": "Compute optimized" if instance_type.startswith("c") else "General purpose",
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "licenseModel": "No License required",
        "capacitystatus": "Used",
        "marketoption": "OnDemand",
        "operation": "RunInstances",
        "usagetype": f"{info['usage_prefix']}BoxUsage:{instance_type}",
    }
    attributes.update(overrides)
    sku = _sku(region, instance_type, *(f"{k}={v}" for k, v in sorted(overrides.items())))
    offer = f"{sku}.{ON_DEMAND_OFFER}"
    rate = f"{offer}.{HOURLY_RATE}"
    description = f"${float(usd):.4f} per On Demand {attributes['operatingSystem']} {instance_type} Instance Hour"
    return {
        "product": {"productFamily": "Compute Instance", "attributes": attributes, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": {
            "OnDemand": {
                offer: {
                    "priceDimensions": {
                        rate: {
                            "unit": "Hrs",
                            "endRange": "Inf",
                            "description": description,
                            "appliesTo": [],
                            "rateCode": rate,
                            "beginRange": "0",
                            "pricePerUnit": {"USD": f"{float(usd):.10f}"},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": PUBLICATION,
                    "offerTermCode": ON_DEMAND_OFFER,
                    "termAttributes": {},
                }
            }
        },
        "version": VERSION,
        "publicationDate": PUBLICATION,
    }


def _scaled(usd: str, factor: float) -> str:
    return f"{float(usd) * factor:.4f}"


@lru_cache(maxsize=1)
def catalogue() -> tuple[dict[str, Any], ...]:
    """Every product: the fixture's prices, and the look-alikes a query must filter out."""
    products = []
    for region, info in sorted(fixture()["regions"].items()):
        for instance_type, usd in sorted(info["on_demand"].items()):
            products.append(_product(region, info, instance_type, usd))
            products.append(_product(region, info, instance_type, _scaled(usd, 1.1), tenancy="Dedicated"))
            products.append(_product(region, info, instance_type, _scaled(usd, 1.5), operatingSystem="Windows"))
            products.append(_product(region, info, instance_type, _scaled(usd, 3.0), preInstalledSw="SQL Std"))
            products.append(_product(region, info, instance_type, "0.0", capacitystatus="UnusedCapacityReservation"))
    return tuple(products)


def _field_value(product: dict[str, Any], field: str) -> str | None:
    if field.lower() == "servicecode":
        return product["serviceCode"]
    attributes = product["product"]["attributes"]
    # Attribute names match case-insensitively (AWS documents `capacitystatus`, users write `capacityStatus`).
    for name, value in attributes.items():
        if name.lower() == field.lower():
            return value
    return None


def _matches(product: dict[str, Any], flt: dict[str, Any]) -> bool:
    kind = flt.get("Type")
    wanted = str(flt.get("Value", ""))
    value = _field_value(product, str(flt.get("Field", "")))
    if value is None:
        return kind == "NONE_OF"
    if kind == "TERM_MATCH":
        return value.lower() == wanted.lower()
    if kind == "EQUALS":
        return value == wanted
    if kind == "CONTAINS":
        return wanted in value
    choices = [c.strip() for c in wanted.split(",")]
    if kind == "ANY_OF":
        return value in choices
    if kind == "NONE_OF":
        return value not in choices
    return False


class PricingError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def get_products(request: dict[str, Any]) -> dict[str, Any]:
    service = request.get("ServiceCode")
    if not isinstance(service, str) or not service:
        raise PricingError("InvalidParameterException", "ServiceCode is required.")
    filters = request.get("Filters") or []
    for flt in filters:
        if flt.get("Type") not in ("TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF"):
            raise PricingError("InvalidParameterException", f"Invalid filter type {flt.get('Type')!r}.")
    limit = request.get("MaxResults") or GET_PRODUCTS_MAX
    if not isinstance(limit, int) or not 1 <= limit <= GET_PRODUCTS_MAX:
        raise PricingError("InvalidParameterException", f"MaxResults must be between 1 and {GET_PRODUCTS_MAX}.")
    start = _offset(request.get("NextToken"), "pricing")
    matched = [p for p in catalogue() if p["serviceCode"] == service and all(_matches(p, f) for f in filters)]
    page = matched[start : start + limit]
    answer: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(p) for p in page]}
    if start + limit < len(matched):
        answer["NextToken"] = _token(start + limit, "pricing")
    return answer


def _token(offset: int, kind: str) -> str:
    return f"{kind}-page-{offset}"


def _offset(token: Any, kind: str) -> int:
    if token in (None, ""):
        return 0
    prefix = f"{kind}-page-"
    if not isinstance(token, str) or not token.startswith(prefix) or not token[len(prefix) :].isdigit():
        raise PricingError("InvalidNextTokenException", "The pagination token is invalid.")
    return int(token[len(prefix) :])


# --- Spot price history -----------------------------------------------------------------------


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def _history(region: str, now: dt.datetime) -> list[dict[str, Any]]:
    """Every price change of the region's fixture, oldest first."""
    data = fixture()
    info = data["regions"].get(region)
    if not info:
        return []
    step = dt.timedelta(hours=data["spot_interval_hours"])
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    last_slot = (now - epoch) // step
    first_slot = last_slot - (data["spot_history_days"] * 24) // data["spot_interval_hours"]
    records = []
    for slot in range(first_slot, last_slot + 1):
        at = epoch + slot * step
        for instance_type, zones in sorted(info["spot"].items()):
            for zone, (low, middle, high) in sorted(zones.items()):
                price = (low, middle, high, middle)[slot % 4]
                records.append(
                    {
                        "AvailabilityZone": zone,
                        "InstanceType": instance_type,
                        "ProductDescription": SPOT_DESCRIPTION,
                        "SpotPrice": f"{float(price):.6f}",
                        "Timestamp": at,
                    }
                )
    return records


def describe_spot_price_history(region: str, params: dict[str, str], now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The records AWS would return for these query parameters, and the next token."""
    now = now or dt.datetime.now(dt.timezone.utc)
    instance_types = {v for k, v in params.items() if k.startswith("InstanceType.")}
    descriptions = {v for k, v in params.items() if k.startswith("ProductDescription.")}
    zones = {params["AvailabilityZone"]} if params.get("AvailabilityZone") else set()
    filter_names = {k.rsplit(".", 1)[0]: v for k, v in params.items() if k.startswith("Filter.") and k.endswith(".Name")}
    for key, value in params.items():
        if ".Value." in key and key.startswith("Filter."):
            name = filter_names.get(key.split(".Value.")[0])
            {"instance-type": instance_types, "product-description": descriptions, "availability-zone": zones}.get(name, set()).add(value)
    try:
        start = _parse_time(params.get("StartTime"))
        end = _parse_time(params.get("EndTime")) or now
    except ValueError as err:
        raise PricingError("InvalidParameterValue", f"Invalid time: {err}") from None
    if start and start > end:
        raise PricingError("InvalidParameterValue", "The start time must be before the end time.")
    limit = int(params.get("MaxResults") or SPOT_HISTORY_DEFAULT)
    if not 1 <= limit <= SPOT_HISTORY_MAX:
        raise PricingError("InvalidParameterValue", f"MaxResults must be between 1 and {SPOT_HISTORY_MAX}.")

    def wanted(record: dict[str, Any]) -> bool:
        return (
            (not instance_types or record["InstanceType"] in instance_types)
            and (not descriptions or record["ProductDescription"] in descriptions)
            and (not zones or record["AvailabilityZone"] in zones)
        )

    selected = []
    before_start: dict[tuple[str, str], dict[str, Any]] = {}
    for record in _history(region, min(end, now)):
        if not wanted(record) or record["Timestamp"] > end:
            continue
        if start and record["Timestamp"] < start:
            before_start[(record["InstanceType"], record["AvailabilityZone"])] = record
        else:
            selected.append(record)
    selected.extend(before_start.values())
    selected.sort(key=lambda r: (r["Timestamp"], r["InstanceType"], r["AvailabilityZone"]), reverse=True)
    offset = _offset(params.get("NextToken"), "spot")
    page = selected[offset : offset + limit]
    token = _token(offset + limit, "spot") if offset + limit < len(selected) else None
    return page, token


def spot_price_history_xml(records: list[dict[str, Any]], token: str | None) -> str:
    items = "".join(
        "<item><instanceType>{InstanceType}</instanceType><productDescription>{ProductDescription}</productDescription>"
        "<spotPrice>{SpotPrice}</spotPrice><timestamp>{ts}</timestamp><availabilityZone>{AvailabilityZone}</availabilityZone></item>".format(
            ts=r["Timestamp"].strftime("%Y-%m-%dT%H:%M:%S.000Z"), **r
        )
        for r in records
    )
    next_token = f"<nextToken>{token}</nextToken>" if token else "<nextToken/>"
    return (
        '<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>spot-price-history</requestId><spotPriceHistorySet>{items}</spotPriceHistorySet>{next_token}"
        "</DescribeSpotPriceHistoryResponse>"
    )


def ec2_error_xml(code: str, message: str) -> str:
    return (
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        "<RequestID>spot-price-history</RequestID></Response>"
    )


# --- WSGI ---------------------------------------------------------------------------------------


def _scope(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(region, service) of a SigV4-signed request's credential scope."""
    m = re.search(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request", environ.get("HTTP_AUTHORIZATION", ""))
    return (m.group(1), m.group(2)) if m else (None, None)


def _reply(start_response: Any, status: int, content_type: str, body: str, headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    data = body.encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(data))), *(headers or [])])
    return [data]


class PriceRouter:
    """Serves GetProducts and DescribeSpotPriceHistory; everything else goes to moto."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        region, service = _scope(environ)
        if service == "pricing":
            return self._pricing(environ, start_response)
        if service == "ec2" and environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read()
            environ["wsgi.input"] = io.BytesIO(body)
            params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            if params.get("Action") == "DescribeSpotPriceHistory":
                try:
                    records, token = describe_spot_price_history(region or "us-east-1", params)
                except PricingError as err:
                    return _reply(start_response, err.status, "text/xml", ec2_error_xml(err.code, err.message))
                return _reply(start_response, 200, "text/xml", spot_price_history_xml(records, token))
        return self.app(environ, start_response)

    def _pricing(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        body = environ["wsgi.input"].read()
        json_type = "application/x-amz-json-1.1"
        try:
            if target != "AWSPriceListService.GetProducts":
                raise PricingError("UnknownOperationException", f"The emulator does not serve {target or 'this operation'}.")
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise PricingError("SerializationException", "The request body is not JSON.") from None
            answer = get_products(request if isinstance(request, dict) else {})
        except PricingError as err:
            payload = json.dumps({"__type": err.code, "Message": err.message})
            return _reply(start_response, err.status, json_type, payload, [("x-amzn-ErrorType", err.code)])
        return _reply(start_response, 200, json_type, json.dumps(answer))
