/**
 * What `afk-cli serve` counts, as Effect metrics (the same ones an OTLP exporter sends when configured), and
 * their Prometheus text rendering for `GET /metrics`. Every label is a word AFK chose (a pass, an action, a
 * forge, a result): no value from a request, a payload or the configuration ever becomes one.
 */
import type * as Pass from "afk-core/Pass"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"

/** Webhook deliveries by forge and result (`accepted`, `duplicate`, `ignored`, `unauthorized`, …). */
export const deliveries = Metric.counter("afk_webhook_deliveries_total", {
  description: "webhook deliveries received, by forge and result"
})

const outcome = (name: string, description: string) => Metric.counter(name, { description })

/** Runs dispatched, closed with proof, escalated to a human (or frozen) and fixed forward, from the pass reports. */
export const outcomes = {
  dispatch: outcome("afk_dispatched_total", "runs dispatched to the agent"),
  Close: outcome("afk_closed_total", "runs closed with proof"),
  Escalate: outcome("afk_escalated_total", "runs handed to a human (escalated or frozen)"),
  FixForward: outcome("afk_fix_forward_total", "corrective turns started on red CI")
}

const actionOutcome: Record<string, keyof typeof outcomes> = {
  dispatch: "dispatch",
  Close: "Close",
  Escalate: "Escalate",
  EscalateNoVerdict: "Escalate",
  Freeze: "Escalate",
  FixForward: "FixForward"
}

/** Open issues carrying the lock label across the allowlist, as last listed (what `afk-cli status` lists). */
export const inFlight = Metric.gauge("afk_runs_in_flight", { description: "runs in flight (open locked issues)" })

/** How long each pass took, by kind (`tick`, `watch`). */
export const passSeconds = Metric.histogram(
  "afk_pass_duration_seconds",
  MetricBoundaries.exponential({ start: 0.05, factor: 2, count: 12 }),
  "duration of each reconcile pass"
)

/** Passes run, by kind and result (`ok`, `failed`). */
export const passes = Metric.counter("afk_passes_total", { description: "reconcile passes run, by kind and result" })

/** Counts the outcomes a pass's reports record. */
export const record = (reports: ReadonlyArray<Pass.Report>): Effect.Effect<void> =>
  Effect.forEach(
    reports.flatMap((report) => report.decisions),
    (decision) => {
      const counter = actionOutcome[decision.action]
      return counter === undefined ? Effect.void : Metric.increment(outcomes[counter])
    },
    { discard: true }
  )

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

const labels = (tags: ReadonlyArray<readonly [string, string]>): string =>
  tags.length === 0 ? "" : `{${tags.map(([k, v]) => `${k}="${escape(v)}"`).join(",")}}`

const number = (value: number | bigint) =>
  typeof value === "bigint"
    ? String(value)
    : value === Infinity
    ? "+Inf"
    : value === -Infinity
    ? "-Inf"
    : String(value)

const samples = (pair: MetricPair.MetricPair.Untyped): { type: string; lines: ReadonlyArray<string> } | undefined => {
  const name = pair.metricKey.name
  const tags = pair.metricKey.tags.map((tag) => [tag.key, tag.value] as const)
  const state = pair.metricState
  if (MetricState.isCounterState(state)) {
    return { type: "counter", lines: [`${name}${labels(tags)} ${number(state.count as number)}`] }
  }
  if (MetricState.isGaugeState(state)) {
    return { type: "gauge", lines: [`${name}${labels(tags)} ${number(state.value as number)}`] }
  }
  if (MetricState.isHistogramState(state)) {
    const buckets = state.buckets.map(([le, count]) =>
      `${name}_bucket${labels([...tags, ["le", number(le)]])} ${count}`
    )
    const inf = state.buckets.some(([le]) => le === Infinity)
      ? []
      : [`${name}_bucket${labels([...tags, ["le", "+Inf"]])} ${state.count}`]
    return {
      type: "histogram",
      lines: [
        ...buckets,
        ...inf,
        `${name}_sum${labels(tags)} ${state.sum}`,
        `${name}_count${labels(tags)} ${state.count}`
      ]
    }
  }
  return undefined
}

/** AFK's metrics (those named `afk_*`) in Prometheus text exposition format (version 0.0.4). */
export const render: Effect.Effect<string> = Effect.map(Metric.snapshot, (pairs) => {
  const families = new Map<string, { help: string; type: string; lines: Array<string> }>()
  for (const pair of pairs) {
    const name = pair.metricKey.name
    const rendered = name.startsWith("afk_") ? samples(pair) : undefined
    if (rendered === undefined) continue
    const family = families.get(name) ??
      {
        help: pair.metricKey.description._tag === "Some" ? pair.metricKey.description.value : name,
        ...rendered,
        lines: []
      }
    family.lines.push(...rendered.lines)
    families.set(name, family)
  }
  return [...families].sort(([a], [b]) => a.localeCompare(b)).flatMap(([name, family]) => [
    `# HELP ${name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
    `# TYPE ${name} ${family.type}`,
    ...family.lines
  ]).join("\n") + "\n"
})
