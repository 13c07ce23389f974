// An outside system of kerjasama in Node.js, with public libraries only: amqplib for the
// broker and the built-in fetch for HTTP. It follows its queues, proposes an agreement by
// an AMQP command, takes it to signing over HTTP (playing the TKKSD secretariat's steps
// too, for the demonstration) and prints the events and the KPI change it sees.
// README.md says how to run it; one line per thing seen, on stdout.

import { randomBytes, randomUUID } from "node:crypto";
import { appendFileSync } from "node:fs";
import amqp from "amqplib";

const COMMANDS_EXCHANGE = "kerjasama.commands";
const PROPOSE = "kerjasama.agreement.propose.v1";
const REPLIED = "kerjasama.command.replied.v1";
const SIGNED = "kerjasama.agreement.signed.v1";
const KPI_UPDATED = "kerjasama.kpi.updated.v1"; // the one version it reads; any other is set aside
const PROPOSED_PREFIX = "kerjasama.agreement.proposed."; // every version names lead_opd
const RETRY_MS = 1000; // the pause before a message that could not be handled yet goes back

// ---- configuration -------------------------------------------------------------------

function configuration(env) {
  const required = ["AMQP_URL", "AGREEMENTS_URL", "TOKEN", "SYSTEM", "AGENCY", "YEAR"];
  const missing = required.filter((name) => !env[name] || !env[name].trim());
  if (missing.length > 0) {
    process.stderr.write(
      `missing environment variable${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}\n` +
        "set AMQP_URL (amqp://user:password@host:5672/vhost), AGREEMENTS_URL " +
        "(http://127.0.0.1:8001), TOKEN (a bearer token), SYSTEM (e.g. contoh-node), " +
        "AGENCY (e.g. DISKOMINFO), YEAR (e.g. 2025) and optionally TIMEOUT_SECONDS (60) and " +
        "ASIDE_FILE (where to keep the messages it cannot read; stderr without it)\n",
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
    asideFile: env.ASIDE_FILE && env.ASIDE_FILE.trim() ? env.ASIDE_FILE.trim() : null,
  };
}

// ---- output --------------------------------------------------------------------------

let quiet = false; // set once it has said how it ends: nothing more goes out
const say = (line) => {
  if (!quiet) process.stdout.write(`${line}\n`);
};
const warn = (line) => process.stderr.write(`${line}\n`);

// ---- messages it cannot handle -------------------------------------------------------

// A message it can never read: set aside (the raw message and why), then acknowledged.
// Its own queues have no dead-letter queue: what it does not keep is gone.
class Unreadable extends Error {}

// A message it cannot handle yet (a gap it could not fill): back to the queue, retried.
class NotYet extends Error {}

function setAside(config, queue, message, reason) {
  let body;
  try {
    body = { body: new TextDecoder("utf-8", { fatal: true }).decode(message.content) };
  } catch {
    body = { body_base64: message.content.toString("base64") };
  }
  const record = JSON.stringify({
    at: new Date().toISOString(),
    queue,
    routing_key: message.fields.routingKey,
    exchange: message.fields.exchange,
    message_id: message.properties.messageId ?? null,
    reason,
    ...body,
  });
  if (config.asideFile) {
    appendFileSync(config.asideFile, `${record}\n`); // a failure here leaves it unacknowledged
    warn(`aside: a message of ${queue} written to ${config.asideFile}: ${reason}`);
  } else {
    warn(`aside: ${record}`);
  }
}

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
  let unreadable = false;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    unreadable = true;
  }
  if (response.ok && unreadable) {
    throw new HttpProblem(response.status, "Unreadable answer", `${method} ${path}: not JSON: ${text.slice(0, 200)}`);
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
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
// an agreement event's version in its stream: ten digits, from 1
const sequenceOf = (event) =>
  typeof event.sequence === "string" && /^\d{10}$/.test(event.sequence) && Number.parseInt(event.sequence, 10) > 0
    ? Number.parseInt(event.sequence, 10)
    : null;

async function main() {
  const config = configuration(process.env);
  const { year, agency } = config;
  const scope = `opd:${agency}`;
  const realization = `realization ${year} ${scope}`;
  // the new agreement's id, chosen here and sent with the proposal: its events are known
  // as its own whenever they come, before the reply as well as after
  const agreementId = randomUUID();

  const state = {
    seen: new Set(), // CloudEvent ids handled (dedupe)
    // the agreements it follows, its own and every other its agency leads (from their
    // proposed event): id -> the sequence to print next
    streams: new Map([[agreementId, { next: 1 }]]),
    replied: false,
    version: null,
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
  const pause = (ms) => Promise.race([new Promise((resolve) => setTimeout(resolve, ms)), ended]);

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
    if (!state.replied) return "the reply to the proposal";
    const still = [];
    if (!state.proposed) still.push(`the agreement's proposed event of ${agreementId}`);
    if (!countedProposal()) still.push(`a kpi.updated of ${realization} counting the proposal`);
    if (!state.flowDone) still.push("the HTTP steps to signing");
    if (!state.signed) still.push(`the agreement's ${SIGNED} event of ${agreementId}`);
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
    finish(0, `change: ${realization} ${fraction(before)} -> ${fraction(after)}`, `done: ${agreementId} SIGNED`);
  }

  // ---- the events of the agreements it follows, each in order of sequence ------------

  function printEvent(event, sequence) {
    const stream = state.streams.get(event.subject);
    stream.next = sequence + 1;
    state.seen.add(event.id);
    say(`event: ${event.type} ${event.subject} sequence ${sequence}`);
    if (event.subject !== agreementId) return;
    if (event.type === SIGNED) state.signed = { event, arrival: ++arrivals };
    if (event.type.startsWith(PROPOSED_PREFIX)) state.proposed = { event, arrival: ++arrivals };
  }

  // The agreement's stream from GET /agreements/{id}/events: its events of sequence `from`
  // on, without a hole (up to `below` when given, and then all of them). A failed or
  // unreadable answer, or one that lacks a version it should hold: NotYet.
  async function readStream(id, from, below = Infinity) {
    let answer;
    try {
      answer = await http(config, "GET", `/agreements/${encodeURIComponent(id)}/events`);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      throw new NotYet(`reading GET /agreements/${id}/events failed (${error.message})`);
    }
    if (!Array.isArray(answer)) throw new NotYet(`GET /agreements/${id}/events did not answer a list`);
    const bySequence = new Map();
    for (const event of answer) {
      const sequence = isObject(event) && typeof event.id === "string" && typeof event.type === "string" ? sequenceOf(event) : null;
      if (sequence === null || event.subject !== id) {
        throw new NotYet(`GET /agreements/${id}/events answered an event it cannot read`);
      }
      bySequence.set(sequence, event);
    }
    const events = [];
    for (let sequence = from; sequence < below && bySequence.has(sequence); sequence += 1) {
      events.push([sequence, bySequence.get(sequence)]);
    }
    if (below !== Infinity && events.length < below - from) {
      throw new NotYet(`GET /agreements/${id}/events does not hold sequence ${from + events.length} yet`);
    }
    return events;
  }

  async function onAgreementEvent(event) {
    if (typeof event.subject !== "string" || !event.subject) throw new Unreadable("an agreement event without a subject");
    if (event.type.startsWith(PROPOSED_PREFIX) && !state.streams.has(event.subject)) {
      // a proposal: followed when its agency leads it
      if (!isObject(event.data) || typeof event.data.lead_opd !== "string") {
        throw new Unreadable(`a ${event.type} without data.lead_opd`);
      }
      if (event.data.lead_opd === agency) state.streams.set(event.subject, { next: 1 });
    }
    const stream = state.streams.get(event.subject);
    if (!stream) return; // another agency's agreement: ignored
    const sequence = sequenceOf(event);
    if (sequence === null) throw new Unreadable(`an event of ${event.subject} without a valid sequence`);
    if (sequence < stream.next) return; // had it
    if (sequence > stream.next) {
      // a gap: the versions between come from the stream, all of them or none
      const from = stream.next;
      const missing = await readStream(event.subject, from, sequence);
      for (const [s, e] of missing) printEvent(e, s);
      warn(`note: sequence ${from} to ${sequence - 1} of ${event.subject} filled from GET /agreements/${event.subject}/events`);
    }
    printEvent(event, sequence);
  }

  function onKpi(event) {
    if (event.type !== KPI_UPDATED) {
      throw new Unreadable(
        event.type.startsWith("kerjasama.kpi.updated.")
          ? `a kpi.updated of a version it does not read (${event.type})`
          : `not a kpi.updated (${event.type})`,
      );
    }
    const data = event.data;
    if (
      !isObject(data) ||
      typeof data.indicator !== "string" ||
      !Number.isInteger(data.year) ||
      typeof data.scope !== "string" ||
      !Number.isInteger(data.revision)
    ) {
      throw new Unreadable("a kpi.updated without indicator, year, scope or revision");
    }
    if (data.year !== year || data.scope !== scope) return;
    const key = figureKey(data);
    const last = state.figures.get(key);
    if (last && !(data.revision > last.revision)) return; // stale or repeated revision
    state.figures.set(key, data);
    say(`kpi: ${data.indicator} ${data.year} ${data.scope} ${fraction(data)} revision ${data.revision}`);
    if (key === realization) state.realizations.push({ data, arrival: ++arrivals });
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

  const channel = await connection.createChannel();
  const publisher = await connection.createConfirmChannel();
  for (const ch of [channel, publisher]) {
    ch.on("error", (error) => {
      warn(`error: a broker channel was closed: ${error.message}`);
      finish(1);
    });
  }
  await channel.prefetch(32);

  function read(message) {
    let event;
    try {
      event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(message.content));
    } catch {
      throw new Unreadable("not JSON");
    }
    if (!isObject(event)) throw new Unreadable("not a JSON object");
    if (typeof event.id !== "string" || !event.id) throw new Unreadable("a CloudEvent without an id");
    if (typeof event.type !== "string" || !event.type) throw new Unreadable("a CloudEvent without a type");
    return event;
  }

  // Each message is handled (printed or ignored) before it is acknowledged; one it cannot
  // read is set aside first; one it cannot handle yet goes back to the queue.
  function consumer(queue, handle) {
    return (message) => {
      if (message === null) {
        warn("error: the broker cancelled a consumer");
        finish(1);
        return;
      }
      serially(async () => {
        if (state.finished) return; // left unacknowledged: the broker keeps it for the next run
        try {
          const event = read(message);
          if (!state.seen.has(event.id)) {
            await handle(event);
            state.seen.add(event.id);
          }
        } catch (error) {
          if (error instanceof Unreadable) {
            setAside(config, queue, message, error.message);
          } else if (error instanceof NotYet) {
            warn(`warning: ${error.message}; the message goes back to ${queue}, tried again`);
            await pause(RETRY_MS);
            if (!state.finished) channel.nack(message, false, true);
            return;
          } else {
            throw error;
          }
        }
        if (state.finished) return;
        channel.ack(message);
        wake();
        checkDone();
      });
    };
  }

  // 1. follow both queues (declared and bound by the broker definitions)
  const eventsQueue = `external.${config.system}.events`;
  const kpiQueue = `external.${config.system}.kpi`;
  await channel.consume(eventsQueue, consumer(eventsQueue, onAgreementEvent), { noAck: false });
  await channel.consume(kpiQueue, consumer(kpiQueue, onKpi), { noAck: false });

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
      if (message.properties.correlationId !== correlationId) {
        warn(`note: a reply to another command (correlation id ${message.properties.correlationId}), ignored`);
        channel.ack(message);
        return;
      }
      let answer;
      try {
        answer = read(message);
      } catch (error) {
        if (!(error instanceof Unreadable)) throw error;
        setAside(config, replyQueue, message, `the reply to the proposal: ${error.message}`);
        channel.ack(message);
        warn("error: the reply to the proposal cannot be read");
        finish(1);
        return;
      }
      channel.ack(message);
      replied(answer);
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
      agreement_id: agreementId,
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

  // The signed event is the last one: no later event shows a gap if it was lost (a queue
  // that overflowed drops its oldest). Not there soon after the signing: read the stream,
  // and again after a failed read, until it is there.
  function readSignedLater(ms) {
    setTimeout(() => {
      serially(async () => {
        if (state.finished || state.signed) return;
        const stream = state.streams.get(agreementId);
        const from = stream.next;
        let events;
        try {
          events = await readStream(agreementId, from);
        } catch (error) {
          if (!(error instanceof NotYet)) throw error;
          warn(`warning: ${error.message}; trying again`);
          readSignedLater(RETRY_MS);
          return;
        }
        if (state.finished) return;
        for (const [s, e] of events) printEvent(e, s);
        if (events.length > 0) {
          warn(`note: sequence ${from} to ${stream.next - 1} of ${agreementId} read from GET /agreements/${agreementId}/events`);
        }
        if (!state.signed) readSignedLater(RETRY_MS);
        wake();
        checkDone();
      });
    }, ms).unref();
  }

  // 4. the reply; then the agreement's way to signing over HTTP
  const flow = (async () => {
    const answer = await Promise.race([reply, ended.then(() => null)]);
    if (answer === null) return;
    const data = isObject(answer.data) ? answer.data : {};
    if (answer.type !== REPLIED || data.accepted !== true) {
      const problem = data.problem ?? {};
      finish(1, `reply: refused ${problem.status} ${problem.type}: ${problem.detail}`);
      return;
    }
    const outcome = data.outcome;
    say(`reply: accepted ${outcome.id} version ${outcome.version} stage ${outcome.stage}`);
    state.replied = true;
    if (outcome.id !== agreementId) {
      warn(`error: the reply names agreement ${outcome.id}, not ${agreementId} as proposed`);
      finish(1);
      return;
    }
    state.version = outcome.version;

    const steps = [
      ["review", {}],
      ["draft", { note: "Draf naskah PKS disusun bersama mitra" }],
      ["discuss", { held_on: `${year}-03-02`, summary: "Pembahasan naskah: mitra dan OPD sepakat", outcome: "AGREED" }],
      [
        "sign",
        {
          number: `PKS/${agency}/${year}/${agreementId.slice(0, 8)}`,
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
        const result = await http(config, "POST", `/agreements/${encodeURIComponent(agreementId)}/${action}`, body, {
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
    readSignedLater(5000);
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
