// The official `openai` npm SDK against the real server: chat completions with and without
// streaming (and usage in the stream), a JSON Schema response_format, models.list(), and a bad
// request raising the SDK's BadRequestError. Run by run_with_server.py (BITBRAIN_URL is the server's address).
// Usage: node openai_sdk_test.mjs OPENAI_PACKAGE_JSON
import assert from "node:assert/strict";
import path from "node:path";
import {test} from "node:test";
import {pathToFileURL} from "node:url";

const {default: OpenAI, BadRequestError} =
    await import(pathToFileURL(path.join(path.dirname(process.argv[2]), "index.mjs")).href);

const client = new OpenAI({
  baseURL: process.env.BITBRAIN_URL + "/v1",
  apiKey: "unused",  // the server runs without --api-key; the SDK insists on one
  maxRetries: 0,
});
const models = await client.models.list();
const model = models.data[0].id;
// Greedy and short: repeatable, and quick on the tiny model.
const request = {
  model,
  messages: [{role: "user", content: "Say something."}],
  max_tokens: 16,
  temperature: 0,
};

test("models.list() lists the served model", () => {
  assert.equal(models.data.length, 1);
  assert.equal(models.data[0].object, "model");
  assert.equal(typeof models.data[0].id, "string");
});

test("a chat completion", async () => {
  const completion = await client.chat.completions.create(request);
  assert.equal(completion.object, "chat.completion");
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.choices.length, 1);
  const [choice] = completion.choices;
  assert.equal(choice.message.role, "assistant");
  assert.equal(typeof choice.message.content, "string");
  assert.ok(["stop", "length"].includes(choice.finish_reason));
  const usage = completion.usage;
  assert.ok(usage.prompt_tokens > 0);
  assert.ok(usage.completion_tokens >= 1 && usage.completion_tokens <= 16);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

// Collects a stream: its text, its chunks, and the chunk with usage if any.
async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ""))
                   .join("");
  return {chunks, text};
}

test("a streamed chat completion is the same reply in pieces", async () => {
  const whole = await client.chat.completions.create(request);
  const {chunks, text} = await collect(await client.chat.completions.create({...request, stream: true}));
  assert.equal(text, whole.choices[0].message.content);
  assert.ok(chunks.every((chunk) => chunk.object === "chat.completion.chunk"));
  assert.ok(chunks.every((chunk) => chunk.id === chunks[0].id && chunk.created === chunks[0].created));
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.equal(chunks.at(-1).choices[0].finish_reason, whole.choices[0].finish_reason);
  assert.ok(chunks.every((chunk) => chunk.usage === undefined || chunk.usage === null));
});

test("a streamed chat completion with include_usage ends with the usage", async () => {
  const whole = await client.chat.completions.create(request);
  const {chunks, text} = await collect(await client.chat.completions.create(
      {...request, stream: true, stream_options: {include_usage: true}}));
  assert.equal(text, whole.choices[0].message.content);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, whole.usage.completion_tokens);
  assert.equal(last.usage.prompt_tokens, whole.usage.prompt_tokens);
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.usage === null));
});

test("an invalid request raises BadRequestError", async () => {
  await assert.rejects(client.chat.completions.create({...request, temperature: 5}),
                       (error) => error instanceof BadRequestError && error.status === 400 &&
                                  /temperature/.test(error.message));
  await assert.rejects(client.chat.completions.create({...request, messages: []}), BadRequestError);
});

test("response_format json_schema: the reply is JSON of the schema", async () => {
  for (const seed of [1, 2, 3]) {
    const completion = await client.chat.completions.create({
      ...request,
      max_tokens: 40,
      temperature: 1,
      seed,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "answer",
          strict: true,
          schema: {
            type: "object",
            properties: {answer: {enum: ["yes", "no"]}},
            required: ["answer"],
            additionalProperties: false,
          },
        },
      },
    });
    const reply = JSON.parse(completion.choices[0].message.content);
    assert.deepEqual(Object.keys(reply), ["answer"]);
    assert.ok(["yes", "no"].includes(reply.answer));
    assert.equal(completion.choices[0].finish_reason, "stop");
  }
});
