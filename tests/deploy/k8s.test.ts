/**
 * deploy/k8s/, checked without a cluster (none runs here):
 * - every resource against the Kubernetes OpenAPI schemas, with the
 *   validators the `kubernetes-models` package compiles from them (types,
 *   required fields, enums, formats);
 * - every resource against the same package's TypeScript types, as an object
 *   literal, so a misspelt or unknown field fails (the OpenAPI schemas allow
 *   unknown fields, and the API server would drop one silently);
 * - what no schema says: the probes hit /healthz on the container's port, the
 *   pods run as the image's non-root user on a read-only root, the env names
 *   are chronosd's keys, the Secret's placeholders cannot start chronosd, the
 *   Job runs `chronos migrate` on the replicas' database, the Service and the
 *   PodDisruptionBudget select the replicas and not the Job.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { KEYS } from '../../src/config/keys.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = join(root, 'deploy', 'k8s');

/** The model class and the TypeScript type of each kind the manifests use. */
const KINDS: Record<string, { model: new (data: any) => { validate(): void }; module: string; type: string }> = {
  'apps/v1 Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'v1 Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1 Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'policy/v1 PodDisruptionBudget': { model: PodDisruptionBudget, module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'batch/v1 Job': { model: Job, module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
};

interface Resource {
  file: string;
  doc: Record<string, any>;
}

function loadResources(): Resource[] {
  const out: Resource[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()) {
    for (const parsed of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if ('errors' in parsed && parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors[0]!.message}`);
      out.push({ file, doc: parsed.toJS() as Record<string, any> });
    }
  }
  return out;
}

/** The OpenAPI check: undefined when valid, else the validator's message. */
function schemaError(doc: Record<string, any>): string | undefined {
  const kind = KINDS[`${doc.apiVersion} ${doc.kind}`];
  if (!kind) return `no model for ${doc.apiVersion} ${doc.kind}`;
  try {
    new kind.model(doc).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The TypeScript check: each resource as a literal of its model's type; returns the compiler's messages. */
function typeErrors(docs: Record<string, any>[]): string[] {
  const file = join(root, 'tests', 'deploy', '__k8s_types__.ts');
  const source = docs
    .map((doc, i) => {
      const kind = KINDS[`${doc.apiVersion} ${doc.kind}`]!;
      return `import type { ${kind.type} as T${i} } from '${kind.module}';\nexport const r${i}: T${i} = ${JSON.stringify(doc)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : read(name, version, ...rest));
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || exists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const resources = loadResources();
const of = (kind: string) => resources.filter((r) => r.doc.kind === kind).map((r) => r.doc);
const ENV_NAMES = new Set(Object.values(KEYS).flatMap((k) => [...k.env]));

t.test('every resource is valid against the Kubernetes OpenAPI schemas', async (t) => {
  t.same(new Set(resources.map((r) => r.doc.kind)), new Set(['Deployment', 'Service', 'Secret', 'PodDisruptionBudget', 'Job']), 'the five kinds are there');
  for (const { file, doc } of resources) t.equal(schemaError(doc), undefined, `${file}: ${doc.kind} ${doc.metadata?.name}`);

  const broken = structuredClone(of('Deployment')[0]!);
  broken.spec.replicas = 'two';
  t.match(schemaError(broken), /replicas must be integer/, 'the schema check fails on a wrong type');
  const noPort = structuredClone(of('Deployment')[0]!);
  delete noPort.spec.template.spec.containers[0].readinessProbe.httpGet.port;
  t.match(schemaError(noPort), /must have required property 'port'|required property port/, 'and on a missing required field');
});

t.test('no resource has a field its Kubernetes type does not know', async (t) => {
  t.same(typeErrors(resources.map((r) => r.doc)), [], 'every resource is a literal of its type');
  const misspelt = structuredClone(of('Deployment')[0]!);
  misspelt.spec.template.spec.containers[0].readinessprobe = misspelt.spec.template.spec.containers[0].readinessProbe;
  delete misspelt.spec.template.spec.containers[0].readinessProbe;
  t.match(typeErrors([misspelt]), [/'"readinessprobe"' does not exist in type 'IContainer'/], 'a misspelt field fails (the schema check lets it through)');
  t.equal(schemaError(misspelt), undefined, '(the schema check alone would accept it)');
});

t.test('the Deployment: two replicas, probes on /healthz, non-root, read-only, env from the Secret', async (t) => {
  const [deployment] = of('Deployment');
  const [secret] = of('Secret');
  const pod = deployment!.spec.template.spec;
  const [container] = pod.containers;
  t.equal(deployment!.spec.replicas, 2, 'two replicas');
  const port = container.ports.find((p: any) => p.name === 'http');
  const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
  t.equal(port?.containerPort, Number(env.CHRONOS_PORT), 'the container port named http is the one chronosd listens on (CHRONOS_PORT)');
  t.equal(env.CHRONOS_HOST, '0.0.0.0', 'chronosd binds every interface, so the kubelet and the Service reach it');
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    t.match(container[probe]?.httpGet, { path: '/healthz', port: 'http' }, `${probe}: GET /healthz on the http port`);
  }
  const startupBudgetS = container.startupProbe.periodSeconds * container.startupProbe.failureThreshold;
  t.ok(startupBudgetS > 60, `the startup probe waits ${startupBudgetS} s, longer than db.start_timeout's default 60 s`);

  const dockerUser = /^USER\s+(\d+)(?::(\d+))?\s*$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  t.ok(dockerUser, 'the Dockerfile sets a numeric USER');
  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: Number(dockerUser![1]) }, "runAsNonRoot, as the image's user");
  t.not(pod.securityContext.runAsUser, 0, 'not root');
  t.match(container.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, 'read-only root, no privilege escalation, no capabilities');
  t.ok(container.resources?.requests?.memory && container.resources?.limits?.memory, 'memory requested and limited');
  const preStopS = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  t.ok(pod.terminationGracePeriodSeconds > preStopS + KEYS.drainTimeoutMs.parse(KEYS.drainTimeoutMs.default) / 1000, 'the grace period covers the preStop pause and the drain');

  t.same(container.envFrom, [{ secretRef: { name: secret!.metadata.name } }], 'the secrets come from the Secret');
  for (const name of [...Object.keys(env), ...Object.keys(secret!.stringData)]) t.ok(ENV_NAMES.has(name), `${name} is a chronosd key`);
  for (const name of ['CHRONOS_DATABASE_URL', 'CHRONOS_TRANSPORT_TOKENS', 'CHRONOS_TOKEN_SECRETS', 'CHRONOS_SIGNING_KEYS']) {
    t.ok(name in secret!.stringData, `the Secret holds ${name}, which chronosd requires with an external database`);
  }
  t.ok(env.CHRONOS_ROUTER_URL, 'a router URL is set, or nothing would fire');
});

t.test("the Secret's placeholders cannot start chronosd", async (t) => {
  const [secret] = of('Secret');
  const parsers = Object.values(KEYS);
  for (const [name, value] of Object.entries(secret!.stringData as Record<string, string>)) {
    t.match(value, /REPLACE_ME/, `${name} is a marked placeholder`);
    // chronosd takes any text as its wake token (no length check); the example router refuses a short one.
    if (name === 'CHRONOS_WAKE_TOKEN') continue;
    const spec = parsers.find((k) => k.env.includes(name))!;
    t.throws(() => spec.parse(value), `${name}=${value} is refused`);
  }
});

t.test('the migration Job runs `chronos migrate` on the same database, outside the Service', async (t) => {
  const [job] = of('Job');
  const [deployment] = of('Deployment');
  const [service] = of('Service');
  const [pdb] = of('PodDisruptionBudget');
  const [secret] = of('Secret');
  const [container] = job!.spec.template.spec.containers;
  t.same(container.command, ['chronos', 'migrate'], 'the Job runs chronos migrate');
  t.same(
    container.env.find((e: any) => e.name === 'CHRONOS_DATABASE_URL')?.valueFrom,
    { secretKeyRef: { name: secret!.metadata.name, key: 'CHRONOS_DATABASE_URL' } },
    "with the replicas' database URL, from the same Secret",
  );
  t.equal(container.image, deployment!.spec.template.spec.containers[0].image, 'from the same image');
  t.equal(job!.spec.template.spec.restartPolicy, 'Never', 'a failed migration is retried by the Job (backoffLimit), not in place');
  t.match(job!.spec.template.spec.securityContext, { runAsNonRoot: true }, 'as non-root');

  const podLabels = deployment!.spec.template.metadata.labels as Record<string, string>;
  const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  t.ok(selects(service!.spec.selector, podLabels), 'the Service selects the replicas');
  t.notOk(selects(service!.spec.selector, job!.spec.template.metadata.labels), 'and not the migration pod');
  t.same(deployment!.spec.selector.matchLabels, pdb!.spec.selector.matchLabels, 'the PodDisruptionBudget selects the replicas');
  t.ok(pdb!.spec.minAvailable >= 1 && pdb!.spec.minAvailable < deployment!.spec.replicas, 'it keeps one running and lets one go');
  t.equal(service!.spec.ports[0].targetPort, 'http', "the Service targets the container's http port");
});

t.test('kustomization.yaml lists files that exist and names the image the pods use', async (t) => {
  const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as Record<string, any>;
  for (const file of kustomization.resources as string[]) t.ok(readdirSync(dir).includes(file), `${file} exists`);
  const image = String(of('Deployment')[0]!.spec.template.spec.containers[0].image).split(':')[0];
  t.ok((kustomization.images as { name: string }[]).some((i) => i.name === image), `the images entry names ${image}`);
  t.notOk((kustomization.resources as string[]).includes('secret.yaml'), 'the example Secret is not applied by -k');
});
