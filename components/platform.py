"""The event platform: what every bounded context plugs into.

The global bus carries every integration event; a catch-all rule writes each one
to the event log, and an archive keeps them for replay. Operations alarms go to
one topic.
"""

import json

import pulumi
import pulumi_aws as aws

from components import policies
from components.dependencies_layer import built_layer
from components.routing import every_saga_event_pattern
from components.settings import StackSettings
from contracts import Catalog


class EventPlatform(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        catalog: Catalog,
        settings: StackSettings,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("saga:platform:EventPlatform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = pulumi.get_stack()

        self.bus = aws.cloudwatch.EventBus(f"{name}-global-bus", opts=child)

        # Every event and every function's log lines carry customer data (ids, amounts, countries),
        # so their log groups are encrypted under a key of ours, usable by CloudWatch Logs for
        # this stack's groups only.
        prefix = f"{pulumi.get_project()}-{stack}"
        self.logs_key = aws.kms.Key(
            f"{name}-logs-key",
            description="Encrypts the event log and every function's log group",
            enable_key_rotation=True,
            policy=pulumi.Output.all(aws.get_caller_identity_output().account_id, aws.get_region_output().region).apply(
                lambda values: _logs_key_policy(values[0], values[1], prefix)
            ),
            opts=child,
        )
        # EventBridge can only write to log groups named /aws/events/...
        self.event_log = aws.cloudwatch.LogGroup(
            f"{name}-event-log",
            name=f"/aws/events/{prefix}/saga",
            retention_in_days=settings.event_log_retention_days,
            kms_key_id=self.logs_key.arn,
            opts=child,
        )
        everything = every_saga_event_pattern(catalog)
        log_rule = aws.cloudwatch.EventRule(
            f"{name}-log-every-event",
            description="Every saga event, into the event log",
            event_bus_name=self.bus.name,
            event_pattern=everything,
            opts=child,
        )
        account_id = aws.get_caller_identity_output().account_id
        region = aws.get_region_output().region
        self._allow_eventbridge_to_log(name, account_id, log_rule.arn)
        aws.cloudwatch.EventTarget(
            f"{name}-event-log-target",
            rule=log_rule.name,
            event_bus_name=self.bus.name,
            arn=self.event_log.arn,
            opts=child,
        )
        self.archive = aws.cloudwatch.EventArchive(
            f"{name}-archive",
            description="Every saga event, for replay",
            event_source_arn=self.bus.arn,
            event_pattern=everything,
            retention_days=settings.archive_retention_days,
            opts=child,
        )

        # CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key (its policy
        # is fixed), so the operations topic gets a key of ours that lets CloudWatch use it.
        self.operations_key = aws.kms.Key(
            f"{name}-operations-key",
            description="Encrypts the operations alarm topic; usable by CloudWatch alarms",
            enable_key_rotation=True,
            policy=pulumi.Output.all(account_id, region).apply(lambda values: _operations_key_policy(*values)),
            opts=child,
        )
        self.operations_topic = aws.sns.Topic(
            f"{name}-operations", kms_master_key_id=self.operations_key.arn, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-operations-policy",
            arn=self.operations_topic.arn,
            policy=pulumi.Output.all(account_id, region, self.operations_topic.arn).apply(
                lambda values: _operations_topic_policy(*values)
            ),
            opts=child,
        )

        # Our own dependencies (cloudevents, jsonschema-rs); `./run layer` fills the folder.
        self.dependencies_layer = aws.lambda_.LayerVersion(
            f"{name}-dependencies",
            layer_name=f"{pulumi.get_project()}-{stack}-dependencies",
            code=pulumi.FileArchive(built_layer(settings.dependencies_layer_path)),
            compatible_runtimes=["python3.11"],
            compatible_architectures=["x86_64"],
            opts=child,
        )
        self.layers = [settings.powertools_layer_arn, self.dependencies_layer.arn]

        self.register_outputs(
            {
                "busName": self.bus.name,
                "busArn": self.bus.arn,
                "eventLogGroup": self.event_log.name,
                "operationsTopicArn": self.operations_topic.arn,
            }
        )

    def _allow_eventbridge_to_log(
        self, name: str, account_id: pulumi.Output[str], log_rule_arn: pulumi.Output[str]
    ) -> None:
        # Only the event log group, only for our account's log rule: no other rule (ours or
        # another account's) can have EventBridge write into it, nor into any other group.
        policy = pulumi.Output.all(self.event_log.arn, account_id, log_rule_arn).apply(
            lambda values: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EventBridgeWritesEventLog",
                            "Effect": "Allow",
                            "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{values[0].removesuffix(':*')}:*",
                            "Condition": policies.on_behalf_of(values[1], [values[2]]),
                        }
                    ],
                }
            )
        )
        aws.cloudwatch.LogResourcePolicy(
            f"{name}-event-log-policy",
            policy_name=f"{pulumi.get_project()}-{pulumi.get_stack()}-event-log",
            policy_document=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _logs_key_policy(account_id: str, region: str, prefix: str) -> str:
    groups = f"arn:aws:logs:{region}:{account_id}:log-group"
    return policies.logs_key_policy(
        account_id, region, [f"{groups}:/aws/events/{prefix}/*", f"{groups}:/aws/lambda/{prefix}/*"]
    )


def _alarms_of(account_id: str, region: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:*"


def _operations_topic_policy(account_id: str, region: str, topic_arn: str) -> str:
    """Only our account's alarms may publish to the operations topic through CloudWatch."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic_arn,
                    "Condition": policies.on_behalf_of(account_id, [_alarms_of(account_id, region)], arn_like=True),
                }
            ],
        }
    )


def _operations_key_policy(account_id: str, region: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersTheKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsPublishToTheTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": policies.on_behalf_of(account_id, [_alarms_of(account_id, region)], arn_like=True),
                },
            ],
        }
    )
