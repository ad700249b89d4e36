// The /chat page in headless Chromium (Debian's, driven by playwright-core): send a message,
// watch the reply stream in, reload and find the conversation still there, stop a reply, see
// errors shown (refused request, failure mid-stream, network failure), clear the history.
// Saves screenshots to $TEST_UNDECLARED_OUTPUTS_DIR.
// Run by run_with_server.py (BITBRAIN_URL is the server's address).
// Usage: node chat_page_test.mjs PLAYWRIGHT_CORE_PACKAGE_JSON
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {after, test} from "node:test";
import {pathToFileURL} from "node:url";

const {chromium} =
    await import(pathToFileURL(path.join(path.dirname(process.argv[2]), "index.mjs")).href);
const CHROMIUM = "/usr/bin/chromium";
if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run ./setup.sh (Debian's chromium)`);
const outputs = process.env.TEST_UNDECLARED_OUTPUTS_DIR ?? os.tmpdir();
const TIMEOUT_MS = 60_000;  // generous: the machine may be busy

// --no-sandbox: Chromium's sandbox refuses to run as root, which CI containers often are.
const browser = await chromium.launch({executablePath: CHROMIUM, args: ["--no-sandbox"]});
after(() => browser.close());
const page = await browser.newPage();
page.setDefaultTimeout(TIMEOUT_MS);
await page.goto(process.env.BITBRAIN_URL + "/chat");

async function setSettings({temperature, maxTokens}) {
  await page.locator("details").evaluate((settings) => { settings.open = true; });
  await page.fill("#temperature", temperature);
  await page.fill("#max-tokens", maxTokens);
}

// The texts the last assistant message showed while the reply streamed in.
async function watchReplyTexts() {
  await page.evaluate(() => {
    window.replyTexts = [];
    new MutationObserver(() => {
      const texts = document.querySelectorAll(".message.assistant .text");
      if (texts.length > 0) window.replyTexts.push(texts[texts.length - 1].textContent);
    }).observe(document.getElementById("log"), {subtree: true, childList: true, characterData: true});
  });
}

async function send(text) {
  await page.fill("#prompt", text);
  await page.press("#prompt", "Enter");
}

test("a message gets a streamed reply with its speed", async () => {
  await setSettings({temperature: "0", maxTokens: "24"});
  await watchReplyTexts();
  await send("Hello there!");
  const reply = page.locator(".message.assistant").last();
  await reply.locator(".meta").filter({hasText: /tokens/}).waitFor();
  assert.equal(await page.locator(".message.error").count(), 0);
  assert.equal(await page.locator(".message.user .text").last().textContent(), "Hello there!");
  // Streamed: the reply arrived in several pieces and the page showed it growing.
  assert.ok(Number(await reply.getAttribute("data-pieces")) > 1);
  const shown = await page.evaluate(() => window.replyTexts);
  assert.ok(new Set(shown.filter((text) => text !== "")).size > 1, JSON.stringify(shown));
  assert.match(await reply.locator(".meta").textContent(), /\d+ tokens · [\d.]+ tok\/s/);
  await page.screenshot({path: path.join(outputs, "chat_reply.png"), fullPage: true});
});

test("the conversation survives a reload", async () => {
  const before = await page.locator("#log").innerText();
  await page.reload();
  await page.locator(".message.assistant").first().waitFor();
  assert.equal(await page.locator("#log").innerText(), before);
  await page.screenshot({path: path.join(outputs, "chat_after_reload.png"), fullPage: true});
});

test("a refused request is shown as an error", async () => {
  await setSettings({temperature: "5", maxTokens: "24"});  // out of range: HTTP 400
  await send("This request is refused.");
  const error = page.locator(".message.error").last();
  await error.waitFor();
  assert.match(await error.textContent(), /HTTP 400: .*temperature/);
  await page.screenshot({path: path.join(outputs, "chat_error.png"), fullPage: true});
});

test("Stop ends a reply early and keeps what arrived", async () => {
  await setSettings({temperature: "0", maxTokens: "500"});  // far longer than the test waits
  await send("Write a long story.");
  const reply = page.locator(".message.assistant").last();
  await page.waitForFunction(
      () => Number([...document.querySelectorAll(".message.assistant")].at(-1).dataset.pieces) >= 2);
  await page.click("#stop");
  await reply.locator(".meta").filter({hasText: /stopped/}).waitFor();
  assert.ok(await page.locator("#send").isEnabled());
  assert.notEqual(await reply.locator(".text").textContent(), "");
});

// Failures the real server cannot be made to produce on demand, staged by intercepting the
// page's request.
test("a failure in the middle of a stream is shown as an error", async () => {
  await setSettings({temperature: "0", maxTokens: "24"});
  const chunk = (delta) => "data: " + JSON.stringify({choices: [{index: 0, delta}]}) + "\n\n";
  await page.route("**/v1/chat/completions", (route) => route.fulfill({
    status: 200,
    contentType: "text/event-stream",
    body: chunk({role: "assistant", content: ""}) + chunk({content: "Half a rep"}) +
          'data: {"error":{"message":"the engine fell over","type":"server_error","param":null,"code":null}}\n\n',
  }));
  await send("This reply breaks off.");
  const error = page.locator(".message.error").last();
  await error.waitFor();
  assert.match(await error.textContent(), /failed mid-reply: the engine fell over/);
  assert.equal(await page.locator(".message.assistant .text").last().textContent(), "Half a rep");
  await page.unroute("**/v1/chat/completions");
});

test("an unreachable server is shown as a network error", async () => {
  await page.route("**/v1/chat/completions", (route) => route.abort("connectionrefused"));
  await send("Nobody is listening.");
  await page.locator(".message.error", {hasText: "network error"}).waitFor();
  await page.unroute("**/v1/chat/completions");
});

test("Clear forgets the conversation, also after a reload", async () => {
  await page.click("#clear");
  await page.waitForFunction(() => document.getElementById("log").children.length === 0);
  await page.reload();
  await page.waitForLoadState("load");
  assert.equal(await page.locator(".message").count(), 0);
});
