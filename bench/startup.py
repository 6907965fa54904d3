"""Start-up benchmark: time from process start to the go-plugin handshake line on stdout, for our
provider and the Go null provider 2.1.2, measured alternately in the same run with AutoMTLS on
(a fresh P-521 client certificate, as Terraform hands over).

    python bench/startup.py OUR_BINARY NULL_BINARY [RUNS] [FLOOR_BINARY]

FLOOR_BINARY (tfplugin's example provider) is the floor: the same SDK serving a two-resource
provider, so ours / floor is what the provider's own start-up adds.

Prints one JSON object: median and 90th percentile in milliseconds for each, and the ratios."""

import datetime
import json
import os
import statistics
import subprocess
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def client_certificate() -> str:
    key = ec.generate_private_key(ec.SECP521R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA512())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def time_handshake(binary: str, protocol: str, cert: str) -> float:
    env = {
        **os.environ,
        "TF_PLUGIN_MAGIC_COOKIE": COOKIE,
        "PLUGIN_PROTOCOL_VERSIONS": protocol,
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "PLUGIN_CLIENT_CERT": cert,
    }
    started = time.perf_counter()
    proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.kill()
    proc.wait()
    proc.stdout.close()
    if not line.startswith(b"1|"):
        raise SystemExit(f"{binary} printed no handshake line: {line!r}")
    return elapsed * 1000


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 2), "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 2)}


def main() -> None:
    ours, null = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    floor = sys.argv[4] if len(sys.argv) > 4 else None
    cert = client_certificate()
    peers = [("ours", ours, "6"), ("null", null, "5")] + ([("floor", floor, "6")] if floor else [])
    times: dict = {name: [] for name, _, _ in peers}
    for _ in range(runs):  # alternate, so all see the same machine load
        for name, binary, protocol in peers:
            times[name].append(time_handshake(binary, protocol, cert))
    result: dict = {"runs": runs, **{name: summary(samples) for name, samples in times.items()}}
    result["ratio_ours_to_null"] = round(result["ours"]["median_ms"] / result["null"]["median_ms"], 3)
    if floor:
        result["ratio_floor_to_null"] = round(result["floor"]["median_ms"] / result["null"]["median_ms"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
