// An outside system of kerjasama in Node.js, with public libraries only: amqplib for the
// broker and the built-in fetch for HTTP. It follows its queues, proposes an agreement by
// an AMQP command, takes it to signing over HTTP (playing the TKKSD secretariat's steps
// too, for the demonstration) and prints the events and the KPI change it sees.
// README.md says how to run it; one line per thing seen, on stdout.

import { randomBytes, randomUUID } from "node:crypto";
import amqp from "amqplib";

const COMMANDS_EXCHANGE = "kerjasama.commands";
const PROPOSE = "kerjasama.agreement.propose.v1";
const REPLIED = "kerjasama.command.replied.v1";
const SIGNED = "kerjasama.agreement.signed.v1";
const KPI_UPDATED = "kerjasama.kpi.updated.v1";
const EARLY_LIMIT = 10000; // events of not-yet-known agreements kept while the reply is awaited

// ---- configuration -------------------------------------------------------------------

function configuration(env) {
  const required = ["AMQP_URL", "AGREEMENTS_URL", "TOKEN", "SYSTEM", "AGENCY", "YEAR"];
  const missing = required.filter((name) => !env[name] || !env[name].trim());
  if (missing.length > 0) {
    process.stderr.write(
      `missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}\n` +
        "set AMQP_URL (amqp://user:password@host:5672/vhost), AGREEMENTS_URL " +
        "(http://127.0.0.1:8001), TOKEN (a bearer token), SYSTEM (e.g. contoh-node), " +
        "AGENCY (e.g. DISKOMINFO), YEAR (e.g. 2025) and optionally TIMEOUT_SECONDS (60)\n",
    );
    process.exit(2);
  }
  const fail = (message) => {
    process.stderr.write(`${message}\n`);
    process.exit(2);
  };
  const year = Number(env.YEAR);
  if (!/^\d{4}$/.test(env.YEAR.trim()) || year < 1980 || year > 2096) {
    fail(`YEAR must be a year such as 2025, not ${JSON.stringify(env.YEAR)}`);
  }
  const timeout = env.TIMEOUT_SECONDS ? Number(env.TIMEOUT_SECONDS) : 60;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    fail(`TIMEOUT_SECONDS must be a positive number, not ${JSON.stringify(env.TIMEOUT_SECONDS)}`);
  }
  let url;
  try {
    url = new URL(env.AMQP_URL);
  } catch {
    fail("AMQP_URL must be a URL such as amqp://user:password@127.0.0.1:5672/kerjasama");
  }
  const user = decodeURIComponent(url.username);
  if (!user) fail("AMQP_URL must name the system's broker user (amqp://user:password@…)");
  return {
    amqpUrl: env.AMQP_URL,
    user,
    agreementsUrl: env.AGREEMENTS_URL.replace(/\/+$/, ""),
    token: env.TOKEN.trim(),
    system: env.SYSTEM.trim(),
    agency: env.AGENCY.trim(),
    year,
    timeoutMs: timeout * 1000,
  };
}

// ---- output --------------------------------------------------------------------------

let quiet = false; // set once it has said how it ends: nothing more goes out
const say = (line) => {
  if (!quiet) process.stdout.write(`${line}\n`);
};
const warn = (line) => process.stderr.write(`${line}\n`);

// ---- HTTP ----------------------------------------------------------------------------

class HttpProblem extends Error {
  constructor(status, title, detail) {
    super(`${status} ${title}: ${detail}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

async function http(config, method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(`${config.agreementsUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${config.token}`,
        Accept: "application/json, application/problem+json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        traceparent: traceparent(),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
  } catch (error) {
    throw new HttpProblem(0, "Unreachable", `${method} ${path}: ${error.cause?.message ?? error.message}`);
  }
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    answer = null;
  }
  if (!response.ok) {
    // RFC 9457 problem details; anything else is summed up from the status line
    const title = answer?.title ?? response.statusText ?? "Error";
    const detail = answer?.detail ?? (text.slice(0, 200) || "(no detail)");
    throw new HttpProblem(response.status, title, detail);
  }
  return answer;
}

// ---- the example ---------------------------------------------------------------------

// W3C trace context: one trace for the whole run, a new parent span id per message or request
const traceId = randomBytes(16).toString("hex");
const traceparent = () => `00-${traceId}-${randomBytes(8).toString("hex")}-01`;
const figureKey = (data) => `${data.indicator} ${data.year} ${data.scope}`;
const fraction = (data) => `${data.numerator}/${data.denominator ?? "-"}`;

async function main() {
  const config = configuration(process.env);
  const { year, agency } = config;
  const scope = `opd:${agency}`;
  const realization = `realization ${year} ${scope}`;

  const state = {
    seen: new Set(), // CloudEvent ids handled (dedupe)
    agreementId: null,
    version: null,
    early: new Map(), // subject -> events received before the reply named our agreement
    pending: new Map(), // sequence -> event of our agreement, not printed yet
    nextSequence: 1, // the sequence to print next
    filling: null, // a gap fill under way (a promise)
    proposed: null, // our proposed event, once printed
    signed: null, // our signed event, once printed
    figures: new Map(), // figure key -> the newest data seen
    realizations: [], // realization YEAR opd:AGENCY figures seen, in arrival order
    flowDone: false,
    waiters: [], // [condition, resolve] of the flow's waits on what the queues bring
    finished: false,
  };

  let connection;
  let finish; // resolves main's wait with an exit code
  const ended = new Promise((resolve) => {
    finish = (code, ...lines) => {
      if (!state.finished) {
        for (const line of lines) say(line);
        state.finished = true;
        quiet = true;
        resolve(code);
      }
    };
  });

  let arrivals = 0; // counts the events and figures that matter, in the order they came
  const timer = setTimeout(() => {
    finish(1, `timeout: ${waitingFor()}`);
  }, config.timeoutMs);

  try {
    const connecting = amqp.connect(config.amqpUrl, { clientProperties: { connection_name: `kerjasama-example-${config.system}` } });
    connection = await Promise.race([connecting, ended.then(() => null)]);
    if (connection === null) {
      connecting.then((late) => late.close()).catch(() => {});
      return 1;
    }
  } catch (error) {
    clearTimeout(timer);
    warn(`error: cannot connect to the broker: ${error.message}`);
    return 1;
  }
  connection.on("error", (error) => {
    warn(`error: the broker connection failed: ${error.message}`);
    finish(1);
  });
  connection.on("close", () => {
    if (!state.finished) {
      warn("error: the broker closed the connection");
      finish(1);
    }
  });

  function waitingFor() {
    if (!connection) return "a connection to the broker";
    if (!state.agreementId) return "the reply to the proposal";
    const still = [];
    if (!state.proposed) still.push(`the agreement's proposed event of ${state.agreementId}`);
    if (!countedProposal()) still.push(`a kpi.updated of ${realization} counting the proposal`);
    if (!state.flowDone) still.push("the HTTP steps to signing");
    if (!state.signed) still.push(`the agreement's ${SIGNED} event of ${state.agreementId}`);
    const before = figureBeforeSigning();
    if (before) still.push(`a kpi.updated of ${realization} with a numerator above ${before.numerator}`);
    else if (countedProposal()) still.push(`a kpi.updated of ${realization} counting the signing`);
    return still.join(", ");
  }

  // Whether a realization figure has counted the proposal (in the year's plan): one whose
  // feed position is at or past the proposed event's (without positions: one that came
  // after it). The flow signs only then, so that the figure before the signing is known.
  function countedProposal() {
    if (!state.proposed) return false;
    const position = state.proposed.event.position;
    return state.realizations.some((f) =>
      Number.isInteger(position) && Number.isInteger(f.data.as_of_position)
        ? f.data.as_of_position >= position
        : f.arrival > state.proposed.arrival,
    );
  }

  function until(condition) {
    if (condition()) return Promise.resolve(true);
    return Promise.race([
      new Promise((resolve) => state.waiters.push([condition, () => resolve(true)])),
      ended.then(() => false),
    ]);
  }

  function wake() {
    state.waiters = state.waiters.filter(([condition, resolve]) => {
      if (!condition()) return true;
      resolve();
      return false;
    });
  }

  // The figure before the signing: the newest seen whose feed position is below the
  // signed event's (without positions: the newest seen before the signed event arrived).
  function figureBeforeSigning() {
    if (!state.signed) return null;
    const position = state.signed.event.position;
    const earlier = state.realizations.filter((f) =>
      Number.isInteger(position) && Number.isInteger(f.data.as_of_position)
        ? f.data.as_of_position < position
        : f.arrival < state.signed.arrival,
    );
    return earlier.reduce((a, b) => (a === null || b.data.revision > a.data.revision ? b : a), null)?.data ?? null;
  }

  function checkDone() {
    if (state.finished || !state.flowDone || !state.signed) return;
    const before = figureBeforeSigning();
    if (!before) return;
    const after = state.realizations
      .map((f) => f.data)
      .filter((d) => d.revision > before.revision && d.numerator > before.numerator)
      .reduce((a, b) => (a === null || b.revision < a.revision ? b : a), null);
    if (!after) return;
    finish(0, `change: ${realization} ${fraction(before)} -> ${fraction(after)}`, `done: ${state.agreementId} SIGNED`);
  }

  // ---- events of our agreement, in order of sequence ---------------------------------

  function printEvent(event) {
    const sequence = /^\d{10}$/.test(event.sequence ?? "") ? Number.parseInt(event.sequence, 10) : "-";
    say(`event: ${event.type} ${event.subject} sequence ${sequence}`);
    if (event.type === SIGNED) state.signed = { event, arrival: ++arrivals };
    if (event.type.startsWith("kerjasama.agreement.proposed.")) state.proposed = { event, arrival: ++arrivals };
  }

  function accept(event) {
    // an event of our agreement: print it when its turn comes
    if (typeof event.sequence !== "string" || !/^\d{10}$/.test(event.sequence)) {
      printEvent(event); // no sequence: nothing to order it by
      return;
    }
    const sequence = Number.parseInt(event.sequence, 10);
    if (sequence < state.nextSequence || state.pending.has(sequence)) return; // had it
    state.pending.set(sequence, event);
  }

  function flush() {
    while (state.pending.has(state.nextSequence)) {
      const event = state.pending.get(state.nextSequence);
      state.pending.delete(state.nextSequence);
      state.nextSequence += 1;
      printEvent(event);
    }
  }

  async function fillGap() {
    // a later sequence came before an earlier one: read the missing ones from the stream
    const events = await http(config, "GET", `/agreements/${encodeURIComponent(state.agreementId)}/events`);
    for (const event of Array.isArray(events) ? events : []) {
      if (!event || typeof event.id !== "string") continue;
      const sequence = Number.parseInt(event.sequence, 10);
      if (sequence >= state.nextSequence && !state.pending.has(sequence)) {
        state.seen.add(event.id);
        state.pending.set(sequence, event);
      }
    }
  }

  async function advance() {
    flush();
    while (state.pending.size > 0 && !state.finished) {
      // what is pending lies beyond a gap
      try {
        await fillGap();
      } catch (error) {
        warn(`warning: filling the gap before sequence ${Math.min(...state.pending.keys())} failed (${error.message}); trying again`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      const before = state.nextSequence;
      flush();
      if (state.nextSequence > before) {
        warn(`note: sequence ${before} to ${state.nextSequence - 1} filled from GET /agreements/${state.agreementId}/events`);
      }
      if (state.nextSequence === before) {
        // the stream does not hold it yet: try again shortly
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    wake();
    checkDone();
  }

  // Messages are handled one after another (per queue order), with awaits for gap fills.
  let work = Promise.resolve();
  const serially = (step) => {
    work = work.then(step).catch((error) => {
      warn(`error: ${error.message}`);
      finish(1);
    });
    return work;
  };

  function onAgreementEvent(event) {
    if (typeof event.subject !== "string") return;
    if (state.agreementId === null) {
      // the proposal's first events may come before its reply names the agreement
      if (state.early.size < EARLY_LIMIT || state.early.has(event.subject)) {
        const list = state.early.get(event.subject) ?? [];
        list.push(event);
        state.early.set(event.subject, list);
      }
      return;
    }
    if (event.subject !== state.agreementId) return;
    accept(event);
  }

  function onKpi(event) {
    if (event.type !== KPI_UPDATED) return;
    const data = event.data ?? {};
    if (data.year !== year || data.scope !== scope) return;
    const key = figureKey(data);
    const last = state.figures.get(key);
    if (last && !(data.revision > last.revision)) return; // stale or repeated revision
    state.figures.set(key, data);
    say(`kpi: ${data.indicator} ${data.year} ${data.scope} ${fraction(data)} revision ${data.revision}`);
    if (key === realization) state.realizations.push({ data, arrival: ++arrivals });
  }

  const channel = await connection.createChannel();
  const publisher = await connection.createConfirmChannel();
  for (const ch of [channel, publisher]) {
    ch.on("error", (error) => {
      warn(`error: a broker channel was closed: ${error.message}`);
      finish(1);
    });
  }
  await channel.prefetch(32);

  function consumer(handle) {
    return (message) => {
      if (message === null) {
        warn("error: the broker cancelled a consumer");
        finish(1);
        return;
      }
      serially(async () => {
        if (state.finished) return; // left unacknowledged: the broker keeps it for the next run
        let event = null;
        try {
          event = JSON.parse(message.content.toString("utf8"));
        } catch {
          warn(`warning: a message that is not JSON on ${message.fields.routingKey}, skipped`);
        }
        if (event && typeof event === "object" && typeof event.id === "string" && !state.seen.has(event.id)) {
          state.seen.add(event.id);
          handle(event);
          wake();
          if (state.agreementId) await advance();
        }
        if (!state.finished) channel.ack(message);
      });
    };
  }

  // 1. follow both queues (declared and bound by the broker definitions)
  await channel.consume(`external.${config.system}.events`, consumer(onAgreementEvent), { noAck: false });
  await channel.consume(`external.${config.system}.kpi`, consumer(onKpi), { noAck: false });

  // 2. a reply queue the broker names, exclusive to this connection
  const { queue: replyQueue } = await channel.assertQueue("", { exclusive: true, durable: false, autoDelete: true });
  const correlationId = randomUUID();
  let replied;
  const reply = new Promise((resolve) => {
    replied = resolve;
  });
  await channel.consume(
    replyQueue,
    (message) => {
      if (message === null) return;
      channel.ack(message);
      if (message.properties.correlationId !== correlationId) return;
      try {
        replied(JSON.parse(message.content.toString("utf8")));
      } catch {
        warn("warning: a reply that is not JSON, skipped");
      }
    },
    { noAck: false },
  );

  // 3. the command: a structured-mode CloudEvent
  const command = {
    specversion: "1.0",
    id: randomUUID(),
    source: `/external/${config.system}`,
    type: PROPOSE,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data: {
      command_id: `${config.system}-${randomUUID()}`,
      title: `Layanan data terbuka bersama mitra ${config.system} ${year}`,
      kind: "KSDPK",
      document_type: "PKS",
      partner: { name: "PT Contoh Node Nusantara", category: "THIRD_PARTY", country: "ID" },
      lead_opd: agency,
      objective: "Pertukaran data terbuka dan layanan informasi publik",
      sector: "Komunikasi dan Informatika",
      burdens_budget: false,
      plan_year: year,
      proposed_on: `${year}-01-11`,
    },
  };
  publisher.publish(COMMANDS_EXCHANGE, "agreement.propose", Buffer.from(JSON.stringify(command)), {
    contentType: "application/cloudevents+json",
    contentEncoding: "utf-8",
    correlationId,
    replyTo: replyQueue,
    userId: config.user, // the broker checks it against the connection's user
    persistent: true,
    headers: { traceparent: traceparent() },
  });
  try {
    await Promise.race([publisher.waitForConfirms(), ended]);
  } catch (error) {
    warn(`error: the broker did not take the command: ${error.message}`);
    finish(1);
  }

  // 4. the reply; then the agreement's way to signing over HTTP
  const flow = (async () => {
    const answer = await Promise.race([reply, ended.then(() => null)]);
    if (answer === null) return;
    const data = answer.data ?? {};
    if (answer.type !== REPLIED || data.accepted !== true) {
      const problem = data.problem ?? {};
      finish(1, `reply: refused ${problem.status} ${problem.type}: ${problem.detail}`);
      return;
    }
    const outcome = data.outcome;
    say(`reply: accepted ${outcome.id} version ${outcome.version} stage ${outcome.stage}`);
    state.agreementId = outcome.id;
    state.version = outcome.version;
    for (const event of state.early.get(outcome.id) ?? []) accept(event);
    state.early.clear();
    await serially(advance);

    const steps = [
      ["review", {}],
      ["draft", { note: "Draf naskah PKS disusun bersama mitra" }],
      ["discuss", { held_on: `${year}-03-02`, summary: "Pembahasan naskah: mitra dan OPD sepakat", outcome: "AGREED" }],
      [
        "sign",
        {
          number: `PKS/${agency}/${year}/${outcome.id.slice(0, 8)}`,
          signed_on: `${year}-04-20`,
          signatory: { name: "Sekretaris Daerah (contoh)", role: "REGIONAL_SECRETARY" },
          effective_from: `${year}-04-20`,
          effective_until: `${year + 3}-04-19`,
        },
      ],
    ];
    for (const [action, body] of steps) {
      // before signing, the realization figure that counts the proposal: the "before"
      if (action === "sign" && !(await until(countedProposal))) return;
      if (state.finished) return;
      try {
        const result = await http(config, "POST", `/agreements/${encodeURIComponent(state.agreementId)}/${action}`, body, {
          "Idempotency-Key": randomUUID(),
          "If-Match": `"${state.version}"`,
        });
        state.version = result.version;
        say(`step: ${action} -> version ${result.version} stage ${result.stage}`);
      } catch (error) {
        if (!(error instanceof HttpProblem)) throw error;
        finish(1, `step: ${action} failed ${error.status} ${error.title}: ${error.detail}`);
        return;
      }
    }
    state.flowDone = true;
    // The signed event is the last one: no later event shows a gap if it was lost (a queue
    // that overflowed drops its oldest). Not there soon after the signing: read the stream.
    setTimeout(() => {
      if (state.finished || state.signed) return;
      serially(async () => {
        const before = state.nextSequence;
        try {
          await fillGap();
        } catch (error) {
          warn(`warning: reading the agreement's events failed (${error.message})`);
          return;
        }
        flush();
        if (state.nextSequence > before) {
          warn(`note: sequence ${before} to ${state.nextSequence - 1} read from GET /agreements/${state.agreementId}/events`);
        }
        wake();
        checkDone();
      });
    }, 5000).unref();
    await serially(async () => checkDone());
  })().catch((error) => {
    warn(`error: ${error.message}`);
    finish(1);
  });

  const code = await ended;
  clearTimeout(timer);
  void flow; // an HTTP request under way ends by itself; the connection closes now
  try {
    await channel.close();
    await publisher.close();
  } catch {
    // already closed with the connection
  }
  try {
    await connection.close();
  } catch {
    // already closed
  }
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 2000).unref(); // nothing may keep it alive
  },
  (error) => {
    warn(`error: ${error.message}`);
    process.exit(1);
  },
);
