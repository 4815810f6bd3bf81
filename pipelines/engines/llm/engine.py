"""The LLM engine: render the task's prompt, call the endpoint, validate, ask again on bad answers."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import openai
from pydantic import BaseModel
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt

from pipelines.compliance import scan_item
from pipelines.content import Finding, Usage, reviewable_items
from pipelines.engines.base import Result, Task
from pipelines.engines.llm.answers import (
    BadAnswer,
    answer_schema,
    parse_answer,
    schema_for_prompt,
)
from pipelines.engines.llm.client import ClientPool, translate
from pipelines.engines.llm.completion import Completion, read_completion
from pipelines.errors import GenerationFailed
from pipelines.prompting import reask_message, render, task_messages
from pipelines.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # answers per task: the first plus two reasks
_CUT_OFF = "回答超出了长度上限，被截断了：请把文案写得更精炼，输出完整的 JSON。"


class LLMEngine:
    """Any OpenAI-compatible chat endpoint behind the `Engine` seam.

    Compliance: an answer with error-level findings is sent back once for a rewrite; the rewrite
    is then accepted with its findings attached, for a reviewer to decide (DOMAIN.md §7).
    """

    def __init__(self, settings: Settings, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        settings.check_llm()
        self.settings = settings
        self.model = settings.cc_model or ""
        self.json_mode = settings.json_mode
        self.max_attempts = max_attempts
        self.name = f"openai:{self.model}"
        self._clients = ClientPool(settings)
        self._rendered: dict[int, tuple[Task, list[dict[str, str]]]] = {}

    # --- the seam ------------------------------------------------------------------------------

    def cache_key(self, task: Task) -> str:
        """Hash of (model, JSON mode, rendered prompt, answer schema): same key, same request."""
        schema = self._schema(task)
        payload = [self.model, self.json_mode, self._messages(task), schema]
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return f"llm/{hashlib.sha256(raw).hexdigest()}"

    async def generate(self, task: Task) -> Result:
        schema = self._schema(task)
        messages = self._messages(task)
        usage = Usage()
        state = _Attempts(messages)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            retry=retry_if_exception_type(BadAnswer),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    raw, cut_off, call_usage = await self._call(state.messages, task, schema)
                    usage = usage + call_usage
                    state.answer(raw)
                    try:
                        output = parse_answer(task, raw)
                    except BadAnswer as exc:
                        problem = f"{_CUT_OFF}\n{exc}" if cut_off else str(exc)
                        raise state.reject(problem) from None
                    state.review(task, output)
        except RetryError:
            # The answer itself travels on the exception; `week --verbose` shows it, cut short.
            log.debug("task %s failed after %d answers", task.item_id, state.count)
            raise GenerationFailed(
                f"模型连续 {state.count} 次回答都不合格（{task.item_id}）：{state.last_problem}",
                attempts=state.count,
                last_answer=state.last_answer,
            ) from None
        return Result(output=output, usage=usage)

    async def aclose(self) -> None:
        await self._clients.aclose()

    async def ping(self) -> Ping:
        """One tiny call in the configured JSON mode (for `campaign-canvas doctor`)."""
        schema = {
            "type": "object",
            "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"],
            "additionalProperties": False,
        }
        fmt: dict[str, Any] = {"type": "json_object"}
        if self.json_mode == "schema":
            fmt = {
                "type": "json_schema",
                "json_schema": {"name": "Ping", "schema": schema, "strict": True},
            }
        started = time.perf_counter()
        completion = await self._complete(
            messages=[{"role": "user", "content": render("ping.j2")}],
            response_format=fmt,
            temperature=0,
        )
        latency = time.perf_counter() - started
        content = completion.answer or ""
        try:
            ok = json.loads(content).get("ok") is True
        except (json.JSONDecodeError, AttributeError):
            ok = False
        return Ping(
            model=completion.model or self.model,
            latency=latency,
            answer=content,
            ok=ok and not completion.cut_off,
            cut_off=completion.cut_off,
        )

    # --- one call ------------------------------------------------------------------------------

    def _schema(self, task: Task) -> dict[str, Any]:
        return answer_schema(task.kind)

    def _messages(self, task: Task) -> list[dict[str, str]]:
        # The runner asks for the cache key and then generates with the same task object:
        # render once. Entries are checked by identity, so a reused id() cannot mislead.
        hit = self._rendered.get(id(task))
        if hit is not None and hit[0] is task:
            return hit[1]
        shown = schema_for_prompt(task.kind)
        messages = task_messages(task, json_mode=self.json_mode, schema=shown)
        if len(self._rendered) >= 256:
            self._rendered.clear()
        self._rendered[id(task)] = (task, messages)
        return messages

    def _response_format(self, task: Task, schema: dict[str, Any]) -> dict[str, Any]:
        """json_schema (strict) or json_object.

        The schema goes to `chat.completions.create` rather than `.parse(response_format=Model)`:
        `.parse` validates without the canvas in the context and, on a failure, drops the raw
        answer that the reask loop feeds back; the answer is validated in `parse_answer` instead.
        """
        if self.json_mode == "object":
            return {"type": "json_object"}
        return {
            "type": "json_schema",
            "json_schema": {"name": task.output_model.__name__, "schema": schema, "strict": True},
        }

    async def _call(
        self, messages: list[dict[str, str]], task: Task, schema: dict[str, Any]
    ) -> tuple[str | None, bool, Usage]:
        """One chat completion: (content, cut off at the token limit, usage).

        The SDK retries transport faults inside this call.
        """
        completion = await self._complete(
            messages=messages,
            response_format=self._response_format(task, schema),
            temperature=self.settings.cc_temperature,
        )
        usage = Usage(calls=1)
        if completion.usage is not None:
            usage = Usage(
                calls=1,
                prompt_tokens=completion.usage.prompt_tokens or 0,
                completion_tokens=completion.usage.completion_tokens or 0,
            )
        return completion.answer, completion.cut_off, usage

    async def _complete(self, **request: Any) -> Completion:
        """One request; the body is read and validated here, not by the SDK (see completion.py)."""
        client = await self._clients.get()
        try:
            raw = await client.chat.completions.with_raw_response.create(
                model=self.model, **request
            )
        except openai.OpenAIError as exc:
            raise translate(exc, self.settings) from None
        response = raw.http_response
        return read_completion(
            response.content,
            response.headers.get("content-type", ""),
            url=self.settings.base_url or "https://api.openai.com/v1",
        )


@dataclass(frozen=True)
class Ping:
    model: str  # as the endpoint names it
    latency: float  # seconds
    answer: str
    ok: bool  # the answer was the JSON asked for, whole
    cut_off: bool = False  # the answer stopped at the token limit


class _Attempts:
    """The conversation of one task: each bad answer and its feedback are appended to it."""

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
