"""One question to the model, asked until its answer is good: the reask loop of one call.

Every request sends a `max_tokens` sized for its question and within the provider's cap. An
answer cut off at that limit never reaches the package: it is asked again with twice the room
(still within the cap). Tokens of every attempt are counted, including the attempts of a
question that finally fails (they travel on the exception as `usage`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt

from pipelines.compliance import scan_item
from pipelines.content import Finding, Usage, reviewable_items
from pipelines.engines.base import Task
from pipelines.engines.llm.answers import BadAnswer
from pipelines.engines.llm.completion import AnswersRejected, Completion, ProviderError
from pipelines.prompting import reask_message

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # answers per question: the first plus two reasks
_CUT_OFF = "回答超出了长度上限（{limit} tokens），被截断了：请把文案写得更精炼，输出完整的 JSON。"

Send = Callable[[list[dict[str, str]], int], Awaitable[Completion]]


@dataclass(frozen=True)
class Question:
    """One call's worth of work: the messages, the room for the answer, how to read it."""

    name: str  # the item id, or `item/part`, for messages and logs
    messages: list[dict[str, str]]
    max_tokens: int
    cap: int  # the provider's output cap: a cut-off answer may be given up to this much room
    read: Callable[[str | None], BaseModel]  # the answer as an output, or BadAnswer
    task: Task
    schema: tuple[str, dict[str, Any]]  # the answer's name and strict JSON schema
    review: bool = True  # feed compliance errors back once (items only)


async def ask(question: Question, send: Send, *, max_attempts: int = MAX_ATTEMPTS):
    """(output, usage) for `question`; AnswersRejected or ProviderError (with `usage`) if not."""
    state = _Attempts(question.messages)
    usage = Usage()
    room = question.max_tokens
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        retry=retry_if_exception_type(BadAnswer),
        reraise=False,
    )
    try:
        async for attempt in retrying:
            with attempt:
                try:
                    completion = await send(state.messages, room)
                except ProviderError as exc:
                    exc.usage = usage
                    raise
                usage = usage + _usage_of(completion)
                raw = completion.answer
                state.answer(raw)
                if completion.cut_off:  # never parsed: a cut answer may still be valid JSON
                    problem = _CUT_OFF.format(limit=room)
                    room = min(question.cap, room * 2)
                    raise state.reject(problem)
                try:
                    output = question.read(raw)
                except BadAnswer as exc:
                    raise state.reject(str(exc)) from None
                if question.review:
                    state.review(question.task, output)
    except RetryError:
        # The answer itself travels on the exception; `week --verbose` shows it, cut short.
        log.debug("%s failed after %d answers", question.name, state.count)
        raise AnswersRejected(
            f"模型连续 {state.count} 次回答都不合格（{question.name}）：{state.last_problem}",
            attempts=state.count,
            last_answer=state.last_answer,
            usage=usage,
        ) from None
    return output, usage


def _usage_of(completion: Completion) -> Usage:
    if completion.usage is None:
        return Usage(calls=1)
    return Usage(
        calls=1,
        prompt_tokens=completion.usage.prompt_tokens or 0,
        completion_tokens=completion.usage.completion_tokens or 0,
    )


class _Attempts:
    """The conversation of one question: each bad answer and its feedback are appended to it."""

    def __init__(self, messages: list[dict[str, str]]) -> None:
        self.messages = list(messages)
        self.count = 0
        self.last_answer = ""
        self.last_problem = ""
        self.compliance_fed_back = False

    def answer(self, raw: str | None) -> None:
        self.count += 1
        self.last_answer = raw or ""

    def reject(self, problem: str) -> BadAnswer:
        self.last_problem = "；".join(line.strip("- ") for line in problem.splitlines())[:300]
        self.messages += [
            # Some providers refuse an empty assistant turn; say it was empty instead.
            {"role": "assistant", "content": self.last_answer or "（空回答）"},
            {"role": "user", "content": reask_message(problem)},
        ]
        return BadAnswer(problem)

    def review(self, task: Task, output: BaseModel) -> None:
        """Compliance errors in the first valid answer are fed back once; later ones are kept."""
        scanned = [(item, scan_item(item, task.canvas)) for item in reviewable_items(output)]
        errors = [
            (item.id, f) for item, findings in scanned for f in findings if f.severity == "error"
        ]
        if errors and not self.compliance_fed_back:
            self.compliance_fed_back = True
            raise self.reject(_compliance_feedback(errors))
        for item, findings in scanned:
            item.findings = findings


def _compliance_feedback(errors: list[tuple[str, Finding]]) -> str:
    lines = [
        f"- {item_id}.{f.field}「{f.span}」：{f.rule}（{f.why}）建议：{f.suggestion}"
        for item_id, f in errors[:15]
    ]
    return "回答里有违反广告合规的说法，请只改写这些地方，其余内容保持不变：\n" + "\n".join(lines)


def total_usage(results: list[Any]) -> Usage:
    """Usage summed over the (output, usage) pairs and failures (with `usage`) of several asks."""
    total = Usage()
    for result in results:
        if isinstance(result, tuple):
            total = total + result[1]
        elif isinstance(getattr(result, "usage", None), Usage):
            total = total + result.usage
    return total
