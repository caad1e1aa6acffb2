"""A function invoked on a schedule by EventBridge Scheduler, through a role that may invoke it alone.

Scheduler rather than a scheduled EventBridge rule: AWS recommends Scheduler for invoking targets on a
schedule, and it calls the target through an execution role of ours, so what the schedule may do is
one IAM statement (lambda:InvokeFunction on this one function) held to our account and our schedule
group. A rule would need a resource policy on the function instead, and lives on the default bus,
outside the saga's buses.
"""

import json

import pulumi
import pulumi_aws as aws

from components import policies

# What Scheduler hands the function: its context attributes, which it fills in at every invocation
# (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
SCHEDULER_INPUT = {
    "scheduleArn": "<aws.scheduler.schedule-arn>",
    "scheduledTime": "<aws.scheduler.scheduled-time>",
    "executionId": "<aws.scheduler.execution-id>",
    "attemptNumber": "<aws.scheduler.attempt-number>",
}


class FunctionSchedule(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        function: aws.lambda_.Function,
        expression: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("saga:context:FunctionSchedule", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The group is what Scheduler names as aws:SourceArn when it assumes the role.
        self.group = aws.scheduler.ScheduleGroup(f"{name}-group", opts=child)
        account_id = aws.get_caller_identity_output().account_id
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=pulumi.Output.all(account_id, self.group.arn).apply(
                lambda values: policies.assume_role("scheduler.amazonaws.com", values[0], [values[1]])
            ),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=function.arn.apply(lambda arn: policies.document([policies.invoke_function(arn)])),
            opts=child,
        )
        self.schedule = aws.scheduler.Schedule(
            name,
            group_name=self.group.name,
            schedule_expression=expression,
            # On time: a sweep an operator expects every minute should not drift by minutes.
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=function.arn,
                role_arn=self.role.arn,
                input=json.dumps(SCHEDULER_INPUT, sort_keys=True),
                # A missed run is not retried for long: the next one does the same work.
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_event_age_in_seconds=60, maximum_retry_attempts=0
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy]),
        )
        self.register_outputs({"scheduleName": self.schedule.name, "roleArn": self.role.arn})
