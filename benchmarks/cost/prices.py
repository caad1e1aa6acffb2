"""AWS list prices the cost model uses: us-east-1, on demand, no free tier, looked up 2026-11-23
unless a price names a later date (`Price.looked_up`).

Each price names where it was read and when. Volume tiers are left out: at a million orders a month every
service here is still in its first tier. Where the lookup could not confirm a figure on an AWS page
it says so; change the number here and every figure follows.
"""

from __future__ import annotations

from dataclasses import dataclass

LOOKED_UP = "2026-11-23"
REGION = "us-east-1"
GB = 1024**3


@dataclass(frozen=True)
class Price:
    usd: float
    per_units: float  # the price is for this many units
    unit: str
    source: str
    looked_up: str = LOOKED_UP

    def of(self, units: float) -> float:
        return units * self.usd / self.per_units

    def describe(self) -> str:
        usd = f"{self.usd:.10f}".rstrip("0").rstrip(".")
        if self.per_units == GB:
            return f"${usd} per GB {self.unit.removeprefix('bytes ')}"
        if self.per_units >= 1e6:
            amount = f"{self.per_units / 1e6:g} million "
        else:
            amount = f"{self.per_units:,.0f} " if self.per_units > 1 else ""
        return f"${usd} per {amount}{self.unit}"

    def cited(self) -> str:
        """Where it was read, and when if not on the day the others were."""
        return self.source if self.looked_up == LOOKED_UP else f"{self.source}, looked up {self.looked_up}"


# DynamoDB on demand, after the 50% cut of November 2024. A write request unit is one write of up to
# 1 KB (each started KB counts); a transactional write costs two per KB; a conditional write that
# fails still consumes its units. Source: aws.amazon.com/dynamodb/pricing/on-demand/ as quoted by
# airbyte.com/data-engineering-resources/dynamodb-pricing (Jul 2025); the unit rules from
# aws.amazon.com/dynamodb/pricing/provisioned/ ("Key terms").
DYNAMODB_WRITE_UNIT = Price(0.625, 1_000_000, "write request units", "aws.amazon.com/dynamodb/pricing/on-demand/")
# A read request unit is one strongly consistent read of up to 4 KB (an eventually consistent one is
# half, a transactional one twice). Same sources.
DYNAMODB_READ_UNIT = Price(0.125, 1_000_000, "read request units", "aws.amazon.com/dynamodb/pricing/on-demand/")
# Stream reads by a Lambda event source mapping are free (GetRecords by anyone else: $0.02/100k);
# not charged here. Same page.

# EventBridge: each custom event published, per 64 KB chunk. "Events sent to another event bus are
# billed as per custom events pricing" (aws.amazon.com/about-aws/whats-new/2021/05/, 2021-05-19), so
# each bus-to-bus forward to a context's private bus counts once more. Delivery to SQS or to
# CloudWatch Logs in the same account is not charged by EventBridge. Source:
# aws.amazon.com/eventbridge/pricing/ (read 2026-11-23: "Each 64 KB chunk of a payload is billed as one
# event"; the $1.00 rate from cloudburn.io/blog/amazon-eventbridge-pricing, March 2026).
EVENTBRIDGE_EVENT = Price(1.00, 1_000_000, "custom events (64 KB chunks)", "aws.amazon.com/eventbridge/pricing/")
# Archive: $0.10 per GB of events processed into it (storage, $0.023/GB-month, is left out: it
# depends on retention, not on the order). Source: aws.amazon.com/eventbridge/pricing/ via
# hykell.com/uncategorized/aws-eventbridge-pricing-and-cost-management; not confirmed on AWS's page.
EVENTBRIDGE_ARCHIVE = Price(0.10, GB, "bytes archived", "aws.amazon.com/eventbridge/pricing/ (not confirmed)")

# SQS standard: every request (SendMessage by EventBridge, ReceiveMessage and DeleteMessageBatch by
# Lambda's poller) per 64 KB chunk. Idle long polls are a fixed cost per queue, not an order's.
# Source: aws.amazon.com/sqs/pricing/ via cloudburn.io/blog/amazon-sqs-pricing (March 2026).
SQS_REQUEST = Price(0.40, 1_000_000, "requests (64 KB chunks)", "aws.amazon.com/sqs/pricing/")

# Lambda x86_64: requests and duration (GB-seconds at the configured memory, billed per ms).
# Source: aws.amazon.com/lambda/pricing/ (its rate table is rendered client-side; the x86 rate
# 0.0000166667 read from artillery's prices.js, which cites that page, and the $0.20 from AWS's page).
LAMBDA_REQUEST = Price(0.20, 1_000_000, "requests", "aws.amazon.com/lambda/pricing/")
LAMBDA_GB_SECOND = Price(0.0000166667, 1, "GB-second (x86_64)", "aws.amazon.com/lambda/pricing/")

# CloudWatch Logs, standard class: ingestion per GB (storage, $0.03/GB-month, depends on retention).
# Source: aws.amazon.com/cloudwatch/pricing/ via c3x.dev/blog/cloudwatch-logs-cost-optimization
# (June 2026). Ingestion is metered on the uncompressed event; we count the bytes as written.
CLOUDWATCH_LOGS_INGESTION = Price(0.50, GB, "bytes ingested", "aws.amazon.com/cloudwatch/pricing/")

# API Gateway HTTP API: per request up to 512 KB, first 300 million a month. Source:
# aws.amazon.com/api-gateway/pricing/; not confirmed with the lookup tool (well-known list price).
HTTP_API_REQUEST = Price(1.00, 1_000_000, "requests", "aws.amazon.com/api-gateway/pricing/ (not confirmed)")

# SNS standard topic: $0.50 per million publishes (64 KB chunks); deliveries depend on the customers'
# subscriptions (email, SMS, app) and are left out. Source: aws.amazon.com/sns/pricing/, as quoted
# in gist allenheltondev/d028926b (2020); not confirmed on AWS's page.
SNS_PUBLISH = Price(0.50, 1_000_000, "publishes", "aws.amazon.com/sns/pricing/ (not confirmed)")

# Step Functions Standard: per state transition, retries included ("each retry will be charged as an
# additional state transition"): $0.025 per 1,000 in us-east-1; StartExecution and the history are
# not billed on their own. Source: aws.amazon.com/step-functions/pricing/ (read 2026-12-03, its State
# transitions pricing table).
STEP_FUNCTIONS_TRANSITION = Price(
    0.025, 1_000, "state transitions (Standard)", "aws.amazon.com/step-functions/pricing/", looked_up="2026-12-03"
)

# KMS: each request on a customer managed symmetric key (Encrypt, Decrypt, GenerateDataKey); the key's
# own $1/month is fixed, not an order's. Source: aws.amazon.com/kms/pricing/ as quoted by
# wring.co/blog/aws-kms-pricing-guide (March 2026).
KMS_REQUEST = Price(0.03, 10_000, "requests", "aws.amazon.com/kms/pricing/")
