// A front layer (layer1) in Node.js: sends an unsigned and a malformed request (ARGO must
// refuse both), then submits a goal over the layer bridge, approves what ARGO asks, and
// prints every message it receives as one JSON line until the goal ends. Requests are
// signed as DIRECTOR with TOKEN (its entry in ARGO_DIRECTOR_TOKENS): HMAC-SHA256 over the
// RFC 8785 canonical JSON of the message without "signature". ARGO signs its answers to
// them the same way; an answer that does not verify is not acted on (exit 1).
// Usage: node front_layer.mjs REDIS_URL "GOAL" BUDGET DIRECTOR TOKEN
import { createHmac } from "node:crypto";
import canonicalize from "canonicalize";
import { createClient } from "redis";

const [url, goal, budget, director, token] = process.argv.slice(2);
const pub = createClient({ url });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const hmac = (msg) => {
  const { signature, ...rest } = msg;
  return createHmac("sha256", token).update(canonicalize(rest)).digest("hex");
};
const unsigned = new Set(); // ids of requests sent unsigned: their answers are too

const send = async (event_type, data, { signed = true } = {}) => {
  const msg = {
    id: `msg_${Date.now()}_${Math.random().toString(16).slice(2)}`,
    timestamp: new Date().toISOString(),
    source: "layer1",
    target: "layer2",
    event_type,
    data,
  };
  if (signed) {
    msg.director = director;
    msg.signature = hmac(msg);
  } else {
    unsigned.add(msg.id);
  }
  await pub.publish("layer1_to_layer2", JSON.stringify(msg));
  return msg.id;
};

const ended = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no goal_completed within 120 s")), 120_000);
  sub.subscribe("layer2_to_layer1", async (raw) => {
    const msg = JSON.parse(raw);
    console.log(JSON.stringify(msg));
    if (!unsigned.has(msg.data.reply_to) && (msg.director !== director || msg.signature !== hmac(msg))) {
      reject(new Error(`answer ${msg.id} is not signed by ARGO with our token`));
      return;
    }
    if (msg.event_type === "approval_requested") {
      const decisions = Object.fromEntries(msg.data.approvals.map((a) => [a.step_id, "approve"]));
      await send("approve", { thread_id: msg.data.thread_id, decisions, director: "node" });
    } else if (msg.event_type === "goal_completed") {
      clearTimeout(timer);
      resolve(msg);
    }
  });
});

await send("get_run", { thread_id: "any" }, { signed: false }); // ARGO answers "error"
await send("approve", { decisions: {} }); // no thread_id: ARGO answers "error"
await send("submit_goal", { goal, budget_usd: Number(budget), director: "node" });
await ended;
await Promise.all([pub.quit(), sub.quit()]);
