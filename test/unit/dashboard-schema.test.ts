// dashboards/swarm-balance.json against Grafana's published dashboard schema: the `Dashboard` type
// of @grafana/schema. Grafana cannot run here; its schema package can. The JSON is written out as a
// TypeScript object literal checked with `satisfies Dashboard`, so the compiler checks every nested
// field: a field the schema does not know, a value of the wrong type or outside an enum fails, as
// it would in Grafana's dashboard validation. (Importing the JSON module would not do: TypeScript
// checks unknown fields only on object literals.)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDashboard, REPO_ROOT } from '../support/dashboard.js';

const DIR = join(REPO_ROOT, 'node_modules', '.cache', `sb-dashboard-schema-${process.pid}`);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/**
 * Grafana's `Dashboard` type, with two adjustments that change what TypeScript demands, not what
 * Grafana accepts: string enums (`ThresholdsMode`, `FieldColorModeId`, `MappingType`) take their
 * values as JSON has them ("absolute", not ThresholdsMode.Absolute); and the fields Grafana itself
 * writes that the type leaves out are allowed, each named: a query variable's `definition` (the
 * query as shown in the editor) and the Prometheus data source's annotation fields (`expr`, `step`,
 * `titleFormat`, `textFormat`, `tagKeys`, `useValueForTime`, which its annotation editor writes and
 * its `prepareAnnotation` reads). Anything else the type does not know is an error.
 */
const PRELUDE = `import type { AnnotationQuery, Dashboard, VariableModel } from '@grafana/schema';
type Loose<T> = T extends string ? \`\${T}\` : T extends number | boolean | null | undefined ? T
  : T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;
type PrometheusAnnotation = AnnotationQuery & { expr?: string; step?: string; titleFormat?: string; textFormat?: string; tagKeys?: string; useValueForTime?: boolean };
type Checked = Loose<Omit<Dashboard, 'annotations' | 'templating'> & {
  annotations?: { list?: PrometheusAnnotation[] };
  templating?: { list?: Array<VariableModel & { definition?: string }> };
}>;`;

/** Every compiler error the dashboard gets against Grafana's `Dashboard` type, as `line: message`. */
function schemaErrors(dashboards: Record<string, unknown>): Record<string, string[]> {
  mkdirSync(DIR, { recursive: true });
  const files = Object.entries(dashboards).map(([name, dashboard]) => {
    const file = join(DIR, `${name}.ts`);
    writeFileSync(
      file,
      `${PRELUDE}\nexport const dashboard = ${JSON.stringify(dashboard, null, 2)} satisfies Checked;\n`,
    );
    return { name, file };
  });
  const program = ts.createProgram(
    files.map((f) => f.file),
    {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    },
  );
  const out: Record<string, string[]> = Object.fromEntries(files.map((f) => [f.name, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const owner = files.find((f) => d.file?.fileName === f.file);
    const where = d.file && d.start !== undefined ? `${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    const text = `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    if (owner) out[owner.name]!.push(text);
    else throw new Error(`the check itself does not compile: ${text}`);
  }
  return out;
}

type Json = Record<string, unknown> & {
  panels: Record<string, unknown>[];
  templating: { list: Record<string, unknown>[] };
};

describe('dashboards/swarm-balance.json against @grafana/schema', () => {
  const dashboard = loadDashboard() as unknown as Json;
  // Copies with one thing Grafana would reject each: the check must fail on every one.
  const broken: Record<string, Json> = {
    unknownTopField: { ...structuredClone(dashboard), refreshEvery: '30s' },
    unknownPanelField: (() => {
      const d = structuredClone(dashboard);
      d.panels[1] = { ...d.panels[1], gridPosition: { x: 0, y: 0, w: 4, h: 4 } };
      return d;
    })(),
    wrongType: { ...structuredClone(dashboard), graphTooltip: 'shared' },
    unknownVariableType: (() => {
      const d = structuredClone(dashboard);
      d.templating.list[1] = { ...d.templating.list[1], type: 'querry' };
      return d;
    })(),
    gridPosWithoutHeight: (() => {
      const d = structuredClone(dashboard);
      d.panels[1] = { ...d.panels[1], gridPos: { x: 0, y: 0, w: 4 } };
      return d;
    })(),
    unknownThresholdsMode: (() => {
      const d = structuredClone(dashboard);
      const panel = d.panels.find((p) => JSON.stringify(p).includes('"mode":"absolute"'))!;
      Object.assign(panel, JSON.parse(JSON.stringify(panel).replace('"mode":"absolute"', '"mode":"absolut"')));
      return d;
    })(),
    unknownVariableField: (() => {
      const d = structuredClone(dashboard);
      d.templating.list[1] = { ...d.templating.list[1], multiple: true };
      return d;
    })(),
    unknownAnnotationField: (() => {
      const d = structuredClone(dashboard);
      const list = (d.annotations as { list: object[] }).list;
      list[1] = { ...list[1], titleFormats: 'x' };
      return d;
    })(),
  };
  const errors = schemaErrors({ dashboard, ...broken });

  it('has no field and no value the schema rejects', () => {
    expect(errors.dashboard).toEqual([]);
  });

  it.each(Object.keys(broken).map((k) => [k]))('fails a copy with a defect Grafana would reject: %s', (name) => {
    expect(errors[name]!.length).toBeGreaterThan(0);
  });
}, 60_000);
