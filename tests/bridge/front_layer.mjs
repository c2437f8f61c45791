// A front layer (layer1) in Node.js: sends a malformed request (ARGO must refuse it),
// then submits a goal over the layer bridge, approves what ARGO asks, and prints every
// message it receives as one JSON line until the goal ends.
// Usage: node front_layer.mjs REDIS_URL "GOAL" BUDGET
import { createClient } from "redis";

const [url, goal, budget] = process.argv.slice(2);
const pub = createClient({ url });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const send = async (event_type, data) => {
  const msg = {
    id: `msg_${Date.now()}_${Math.random().toString(16).slice(2)}`,
    timestamp: new Date().toISOString(),
    source: "layer1",
    target: "layer2",
    event_type,
    data,
  };
  await pub.publish("layer1_to_layer2", JSON.stringify(msg));
  return msg.id;
};

const ended = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no goal_completed within 120 s")), 120_000);
  sub.subscribe("layer2_to_layer1", async (raw) => {
    const msg = JSON.parse(raw);
    console.log(JSON.stringify(msg));
    if (msg.event_type === "approval_requested") {
      const decisions = Object.fromEntries(msg.data.approvals.map((a) => [a.step_id, "approve"]));
      await send("approve", { thread_id: msg.data.thread_id, decisions, director: "node" });
    } else if (msg.event_type === "goal_completed") {
      clearTimeout(timer);
      resolve(msg);
    }
  });
});

await send("approve", { decisions: {} }); // no thread_id: ARGO answers "error"
await send("submit_goal", { goal, budget_usd: Number(budget), director: "node" });
await ended;
await Promise.all([pub.quit(), sub.quit()]);
