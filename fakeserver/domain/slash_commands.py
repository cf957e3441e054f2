"""Slash commands: what PostHog AI's agent answers instead of a normal turn when the human
message is `/usage`, `/remember`, `/feedback` or `/ticket` (PostHog's `SlashCommandHandlerNode`).

The command is the whole message or its first word followed by a space. Its answer is one
assistant message whose `meta.source` is `slash_command:<name>`. `/usage` reports the AI credits
a fixture gives the project (`ai_usage:`), laid out as PostHog's usage report; `/ticket` after
earlier messages answers a summary made from the user's messages (PostHog asks an LLM).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from fakeserver.domain.models import AiUsage, Conversation, JSONValue, Project

COMMANDS: Final = ("/usage", "/remember", "/feedback", "/ticket")
GA_LAUNCH: Final = datetime(2025, 11, 17, tzinfo=UTC)
"""PostHog AI's general availability: usage before it is not counted."""
PAST_DAYS: Final = 30
USAGE_TITLE: Final = "PostHog AI usage"
BAR_SEGMENTS: Final = 20


def command_of(content: str | None) -> str | None:
    """The slash command a human message is, if any."""
    if content is None:
        return None
    text = content.strip()
    for command in COMMANDS:
        if text == command or text.startswith(command + " "):
            return command
    return None


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What a command's answer depends on."""

    conversation: Conversation
    """The conversation, the command's human message already in its messages."""
    usage: AiUsage
    now: datetime
    billing_context: JSONValue = None

    @classmethod
    def of(
        cls,
        conversation: Conversation,
        projects: Mapping[int, Project],
        now: datetime,
        billing_context: JSONValue,
    ) -> CommandContext:
        project = projects.get(conversation.project_id)
        usage = project.ai_usage if project is not None else AiUsage()
        return cls(conversation, usage, now, billing_context)


def command_reply(command: str, content: str, context: CommandContext) -> dict[str, JSONValue]:
    """The command's answer: the assistant message without its id, in PostHog's key order."""
    argument = content[len(command) :].strip() if content.startswith(command) else ""
    text = _ANSWERS[command](argument, context)
    source = f"slash_command:{command.lstrip('/')}"
    return {"content": text, "meta": {"source": source}, "type": "ai"}


def _feedback(argument: str, _context: CommandContext) -> str:
    if not argument:
        return "Please provide your feedback for PostHog AI. Usage: `/feedback <your feedback>`"
    return "Thanks for making PostHog AI better!"


def _remember(argument: str, _context: CommandContext) -> str:
    if not argument:
        return "Please provide something to remember. Usage: `/remember <fact to remember>`"
    return "I'll remember that for you."


def _ticket(_argument: str, context: CommandContext) -> str:
    asked = [
        message.get("content")
        for message in context.conversation.messages
        if message.get("type") == "human"
    ]
    if len(asked) <= 1:
        return "I'll help you create a support ticket. Please describe your issue below."
    lines = [f"- {text}" for text in asked[:-1] if isinstance(text, str)]
    summary = "The user asked PostHog AI:\n" + "\n".join(lines)
    return f"PostHog AI Support Ticket Summary:\n\n{summary}"


def _usage(_argument: str, context: CommandContext) -> str:
    return usage_report(context.usage, _usage_period(context), context.conversation.created_at)


_ANSWERS: Final = {
    "/usage": _usage,
    "/remember": _remember,
    "/feedback": _feedback,
    "/ticket": _ticket,
}


# /usage ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UsagePeriod:
    label: str
    """`Billing period`, or `Past 30 days` when no billing period is known."""
    start: datetime
    end: datetime
    counted_from: datetime
    """The start, or PostHog AI's launch when the period began before it."""


def _usage_period(context: CommandContext) -> UsagePeriod:
    """The request's billing period, else the fixture's, else the past 30 days."""
    period = _billing_period(context.billing_context) or context.usage.billing_period
    if period is not None:
        start, end = period
        return UsagePeriod("Billing period", start, end, max(start, GA_LAUNCH))
    start = max(context.now - timedelta(days=PAST_DAYS), GA_LAUNCH)
    return UsagePeriod(f"Past {PAST_DAYS} days", start, context.now, start)


def _billing_period(billing_context: Any) -> tuple[datetime, datetime] | None:
    """`billing_period.current_period_start/end` of a billing context, when both parse."""
    period = billing_context.get("billing_period") if isinstance(billing_context, dict) else None
    if not isinstance(period, dict):
        return None
    start, end = (
        _instant(period.get(key)) for key in ("current_period_start", "current_period_end")
    )
    if start is None or end is None or start >= end:
        return None
    return start, end


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def usage_report(usage: AiUsage, period: UsagePeriod, conversation_start: datetime) -> str:
    """PostHog's usage report, line for line: the conversation's and the period's credits
    against the free tier, with a 20-segment bar."""
    used, free = usage.period_credits, usage.free_tier_credits
    ratio = 0.0 if free <= 0 else max(0.0, min(used / free, 1.0))
    filled = round(BAR_SEGMENTS * ratio)
    bar = "[" + "█" * filled + "░" * (BAR_SEGMENTS - filled) + "]"
    percent = 0.0 if free <= 0 else used / free * 100
    capped = period.start < GA_LAUNCH and period.counted_from.date() == GA_LAUNCH.date()
    period_label = f"**{period.label}**"
    if period.label == "Billing period":
        period_label += f" ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d})"
    if capped:
        period_label += f" (since {GA_LAUNCH:%Y-%m-%d})"
    lines = [f"## {USAGE_TITLE}", ""]
    lines.append(f"**Current conversation**: {usage.conversation_credits:,} credits\n")
    lines.append(f"{period_label}: {used:,} credits\n")
    lines.append(f"**Free tier limit**: {free:,} credits\n")
    if free > 0:
        shown = f"{percent:.0f}% of free tier" if percent <= 999 else "999%+ of free tier"
        lines.append(f"**{period.label} usage**: {bar} {shown}\n")
    remaining = free - used
    if remaining >= 0:
        lines.append(f"**Remaining**: {remaining:,} credits\n")
    else:
        lines.append(f"**Overage**: {-remaining:,} credits over limit\n")
    lines.append(f"_Conversation since_: {conversation_start.astimezone(UTC):%Y-%m-%d %H:%M} UTC\n")
    if period.label == "Billing period":
        lines.append(f"_Billing period resets on_: {period.end:%Y-%m-%d %H:%M} UTC\n")
        resets = "billing period usage resets at the end of this billing period."
    else:
        resets = (
            "past 30 days is rolling usage for this project because billing period "
            "information is unavailable."
        )
    lines += [
        "",
        f"_Current conversation resets when you start a new chat; {resets}_",
        "_Note: Usage data depends on AI trace ingestion and may lag slightly behind real-time "
        "activity._",
    ]
    if capped:
        lines.append(
            f"\n_{period.label} usage is calculated from PostHog AI general availability date "
            f"({GA_LAUNCH:%b %d, %Y}) as usage before this date is not counted._"
        )
    return "\n".join(lines)
