"""The LLM engine: the plan is computed, the model writes — in small calls, each with max_tokens.

The week's shape comes from the shared planner (`plan_posts`): the runner then asks for each post
on its own. A live script is written block by block around a planned run-of-show. Every other
task is one call whose answer stays well under the output cap.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import openai
from pydantic import BaseModel

from pipelines.canvas import Canvas
from pipelines.compliance import scan_item
from pipelines.content import KINDS, FabeCard
from pipelines.engines.base import PostBrief, Result, Task, TaskKind
from pipelines.engines.llm import fabe, livestream
from pipelines.engines.llm.answers import (
    answer_model,
    answer_schema,
    parse_answer,
    read_json,
    schema_for_prompt,
    validate_answer,
)
from pipelines.engines.llm.asking import MAX_ATTEMPTS, Question, ask, total_usage
from pipelines.engines.llm.briefs import post_briefs
from pipelines.engines.llm.client import ClientPool, translate
from pipelines.engines.llm.completion import Completion, ProviderError, read_completion
from pipelines.engines.llm.limits import CallGate, estimate_tokens, rate_limit
from pipelines.errors import EngineError
from pipelines.prompting import render, task_messages
from pipelines.settings import Settings

# Room for one answer of a live script part (the other kinds say theirs in content.KINDS).
LIVE_FRAME_BUDGET = 800
LIVE_BLOCK_BUDGET = 700


class LLMEngine:
    """Any OpenAI-compatible chat endpoint behind the `Engine` seam.

    Compliance: an answer with error-level findings is sent back once for a rewrite; the rewrite
    is then accepted with its findings attached, for a reviewer to decide (DOMAIN.md §7). A live
    script's blocks are checked when the script is whole; its findings are attached for review.
    """

    def __init__(self, settings: Settings, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        settings.check_llm()
        self.settings = settings
        self.model = settings.cc_model or ""
        self.json_mode = settings.json_mode
        self.max_attempts = max_attempts
        self.cap = settings.output_cap
        self.name = f"openai:{self.model}"
        self._clients = ClientPool(settings)
        self._gate = CallGate(settings.cc_max_concurrency)
        self._limit = rate_limit(
            settings.base_url or "", settings.api_key, settings.cc_rpm, settings.cc_tpm
        )
        self._rendered: dict[int, tuple[Task, list[Question]]] = {}

    # --- the seam ------------------------------------------------------------------------------

    def plan_posts(self, canvas: Canvas) -> list[PostBrief]:
        """The week's posts as the shared planner places them (the runner writes each)."""
        return post_briefs(canvas, self.settings.cc_seed)

    def cache_key(self, task: Task) -> str:
        """Hash of (model, JSON mode, every request the task makes): same key, same requests."""
        questions = self._questions(task)
        payload = [
            self.model,
            self.json_mode,
            [[q.name, q.messages, q.max_tokens] for q in questions],
        ]
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return f"llm/{hashlib.sha256(raw).hexdigest()}"

    async def generate(self, task: Task) -> Result:
        questions = self._questions(task)
        if len(questions) == 1:
            output, usage = await self._ask(questions[0])
            return Result(output=output, usage=usage)
        results = await asyncio.gather(
            *(self._ask(q) for q in questions),
            return_exceptions=True,
        )
        usage = total_usage(results)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            failed.usage = usage  # every part's tokens count, the ones that succeeded too
            raise failed
        outputs = [output for output, _ in results]
        try:
            whole = self._assemble(task, outputs)
        except ValueError as exc:
            error = EngineError(f"{KINDS[task.kind].label}拼合后未通过校验：{exc}")
            error.usage = usage
            raise error from None
        whole.findings = scan_item(whole, task.canvas)  # the parts' findings, on the whole
        return Result(output=whole, usage=usage)

    @staticmethod
    def _assemble(task: Task, outputs: list[BaseModel]) -> BaseModel:
        """One item from the answers of its parts, in the order `_questions` asked them."""
        canvas = task.canvas
        first, *rest = outputs
        if task.kind is TaskKind.FABE:
            parts = fabe.plan_parts(canvas)[1:]
            return fabe.assemble(canvas, first, list(zip(parts, rest, strict=True)))
        plan = livestream.plan_blocks(canvas)
        return livestream.assemble(canvas, task.item_id, first, list(zip(plan, rest, strict=True)))

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
            max_tokens=min(32, self.cap),
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

    # --- the questions of a task ---------------------------------------------------------------

    def _questions(self, task: Task) -> list[Question]:
        # The runner asks for the cache key and then generates with the same task object:
        # render once. Entries are checked by identity, so a reused id() cannot mislead.
        hit = self._rendered.get(id(task))
        if hit is not None and hit[0] is task:
            return hit[1]
        if task.kind is TaskKind.CALENDAR:
            raise EngineError("大模型引擎逐条写帖子：一周日历由任务图按计划组装，不整体生成")
        if task.kind is TaskKind.LIVESTREAM:
            questions = self._live_questions(task)
        elif task.kind is TaskKind.FABE:
            questions = self._fabe_questions(task)
        else:
            model = answer_model(task)
            questions = [
                self._question(
                    task,
                    task.item_id,
                    model,
                    KINDS[task.kind].answer_tokens,
                    lambda raw: parse_answer(task, raw),
                )
            ]
        if len(self._rendered) >= 256:
            self._rendered.clear()
        self._rendered[id(task)] = (task, questions)
        return questions

    def _live_questions(self, task: Task) -> list[Question]:
        if task.canvas.burst.livestream_day is None:
            raise EngineError("画布没有安排直播（引爆里的直播日为空），不写直播脚本")

        def reader(model: type[BaseModel]):
            return lambda raw: validate_answer(model, read_json(raw), task)

        frame, words = livestream.LiveFrame, livestream.BlockWords
        questions = [
            self._question(
                task,
                f"{task.item_id}/frame",
                frame,
                LIVE_FRAME_BUDGET,
                reader(frame),
                review=False,
                part=livestream.frame_part(task.canvas),
            )
        ]
        for block in livestream.plan_blocks(task.canvas):
            name = f"{task.item_id}/{block.key}"
            questions.append(
                self._question(
                    task, name, words, LIVE_BLOCK_BUDGET, reader(words), review=False, part=block
                )
            )
        return questions

    def _fabe_questions(self, task: Task) -> list[Question]:
        questions = []
        for part in fabe.plan_parts(task.canvas):
            card = part.channel is None
            model = FabeCard if card else fabe.ChannelCopy
            questions.append(
                self._question(
                    task,
                    f"{task.item_id}/{part.key}",
                    model,
                    fabe.CARD_BUDGET if card else fabe.CHANNEL_BUDGET,
                    lambda raw, model=model: parse_answer(task, raw, model),
                    part=part,
                )
            )
        return questions

    def _question(
        self,
        task: Task,
        name: str,
        model: type[BaseModel],
        budget: int,
        read,
        *,
        review: bool = True,
        part: Any = None,
    ) -> Question:
        schema = answer_schema(model)
        messages = task_messages(
            task, json_mode=self.json_mode, schema=schema_for_prompt(model), part=part
        )
        return Question(
            name=name,
            messages=messages,
            max_tokens=min(budget, self.cap),
            cap=self.cap,
            read=read,
            task=task,
            review=review,
            schema=(model.__name__, schema),
        )

    # --- one call ------------------------------------------------------------------------------

    def _response_format(self, schema: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        """json_schema (strict) or json_object.

        The schema goes to `chat.completions.create` rather than `.parse(response_format=Model)`:
        `.parse` validates without the canvas in the context and, on a failure, drops the raw
        answer that the reask loop feeds back; the answer is validated in `parse_answer` instead.
        """
        if self.json_mode == "object":
            return {"type": "json_object"}
        name, body = schema
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": body, "strict": True},
        }

    async def _ask(self, question: Question):
        async def send(messages: list[dict[str, str]], max_tokens: int) -> Completion:
            return await self._complete(
                messages=messages,
                response_format=self._response_format(question.schema),
                temperature=self.settings.cc_temperature,
                max_tokens=max_tokens,
            )

        return await ask(question, send, max_attempts=self.max_attempts)

    async def _complete(self, **request: Any) -> Completion:
        """One request within the rate limits, the concurrency gate and the overall deadline.

        The SDK retries transport faults inside it; the deadline covers those retries too, and
        cuts a server that keeps the connection alive by trickling bytes. The body is read and
        validated here, not by the SDK (see completion.py).
        """
        reserved = request["max_tokens"] + sum(
            estimate_tokens(str(m.get("content", ""))) for m in request["messages"]
        )
        await self._limit.acquire(reserved)
        client = await self._clients.get()
        deadline = self.settings.cc_deadline
        async with self._gate():
            try:
                async with asyncio.timeout(deadline):
                    raw = await client.chat.completions.with_raw_response.create(
                        model=self.model, **request
                    )
                    body = raw.http_response.content  # read within the deadline
            except TimeoutError:
                self._limit.settle(reserved, 0)
                raise ProviderError(
                    f"模型服务 {deadline:g} 秒内没有答完（CC_DEADLINE，含重试）：服务过慢或连接"
                    "被拖住；请稍后再试，或调大 CC_DEADLINE"
                ) from None
            except openai.OpenAIError as exc:
                self._limit.settle(reserved, 0)
                raise translate(exc, self.settings) from None
        response = raw.http_response
        completion = read_completion(
            body,
            response.headers.get("content-type", ""),
            url=self.settings.base_url or "https://api.openai.com/v1",
        )
        if completion.usage is not None:
            used = (completion.usage.prompt_tokens or 0) + (completion.usage.completion_tokens or 0)
            self._limit.settle(reserved, used)
        return completion


@dataclass(frozen=True)
class Ping:
    model: str  # as the endpoint names it
    latency: float  # seconds
    answer: str
    ok: bool  # the answer was the JSON asked for, whole
    cut_off: bool = False  # the answer stopped at the token limit
