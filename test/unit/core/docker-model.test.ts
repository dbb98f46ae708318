import { describe, expect, it } from 'vitest';
import {
  composeService,
  endpointsFromList,
  gwbridgeAddresses,
  runningTasksByService,
  serviceFromApi,
  slimInspect,
  taskFromInspect,
} from '../../../src/core/docker-model.js';
import type { TaskRef } from '../../../src/core/types.js';

// Shapes as Docker Engine API 1.41 (dockerd 20.10) answers them, trimmed of fields the agent never reads.
const NODE = { id: 'n5r8ruq3l9w4e2k1c0yq7s6tz', name: 'worker-1' };

const SWARM_CONTAINER = {
  Id: '3f1c0a6e9b2d4f5a8c7e1b0d2a4c6e8f0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d',
  Created: '2026-11-26T10:00:00.123456789Z',
  Path: 'node',
  Args: ['/app/demo-app.js'],
  State: {
    Status: 'running',
    Running: true,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 14971,
    ExitCode: 0,
    Error: '',
    StartedAt: '2026-11-26T10:00:01.523456789Z',
    FinishedAt: '0001-01-01T00:00:00Z',
    Health: { Status: 'healthy', FailingStreak: 0, Log: [] },
  },
  Image: 'sha256:5b0d2a4c6e8f0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d3f1c0a6e9b2d4f5a8c7e1',
  Name: '/shop_web.2.kq3m1m0xk8x2d2x0yq4q9b7hz',
  RestartCount: 0,
  Driver: 'overlay2',
  Config: {
    Hostname: '3f1c0a6e9b2d',
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NODE_VERSION=20.18.1'],
    Cmd: ['node', '/app/demo-app.js'],
    Image: 'sb-test/node:1@sha256:0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d3f1c0a6e9b2d4f5a8c7e15b0d2a4c6e8f',
    Labels: {
      'com.docker.stack.namespace': 'shop',
      'com.docker.swarm.node.id': 'n5r8ruq3l9w4e2k1c0yq7s6tz',
      'com.docker.swarm.service.id': 'vq8kq2x1y0zq3w4e5r6t7y8u9',
      'com.docker.swarm.service.name': 'shop_web',
      'com.docker.swarm.task': '',
      'com.docker.swarm.task.id': 'kq3m1m0xk8x2d2x0yq4q9b7hz',
      'com.docker.swarm.task.name': 'shop_web.2.kq3m1m0xk8x2d2x0yq4q9b7hz',
    },
  },
  NetworkSettings: {
    Bridge: '',
    SandboxID: '6d2a1c0b9e8f',
    HairpinMode: false,
    Ports: {},
    SandboxKey: '/var/run/docker/netns/6d2a1c0b9e8f',
    Networks: {
      ingress: {
        IPAMConfig: { IPv4Address: '10.0.0.7' },
        Links: null,
        Aliases: null,
        NetworkID: 'm8x2jlw0c6b4ingressnet01',
        EndpointID: 'e1b2c3d4',
        Gateway: '',
        IPAddress: '10.0.0.7',
        IPPrefixLen: 24,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        MacAddress: '02:42:0a:00:00:07',
        DriverOpts: null,
      },
      shop_default: {
        IPAMConfig: { IPv4Address: '10.0.2.4' },
        Links: null,
        Aliases: ['3f1c0a6e9b2d'],
        NetworkID: 'p4q5r6s7t8u9shopdefault1',
        EndpointID: 'f5e6d7c8',
        Gateway: '',
        IPAddress: '10.0.2.4',
        IPPrefixLen: 24,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        MacAddress: '02:42:0a:00:02:04',
        DriverOpts: null,
      },
    },
  },
};

const withState = (state: Record<string, unknown>, labels?: Record<string, string>) => ({
  ...SWARM_CONTAINER,
  State: { ...SWARM_CONTAINER.State, ...state },
  Config: { ...SWARM_CONTAINER.Config, Labels: labels ?? SWARM_CONTAINER.Config.Labels },
});

const GLOBAL_LABELS = {
  'com.docker.stack.namespace': 'monitoring',
  'com.docker.swarm.node.id': 'n5r8ruq3l9w4e2k1c0yq7s6tz',
  'com.docker.swarm.service.id': 'z9y8x7w6v5u4t3s2r1q0p9o8n',
  'com.docker.swarm.service.name': 'monitoring_swarm-balance',
  'com.docker.swarm.task': '',
  'com.docker.swarm.task.id': 'p0o9i8u7y6t5r4e3w2q1a2s3d',
  'com.docker.swarm.task.name': 'monitoring_swarm-balance.n5r8ruq3l9w4e2k1c0yq7s6tz.p0o9i8u7y6t5r4e3w2q1a2s3d',
};

const COMPOSE_LABELS = {
  'com.docker.compose.config-hash': '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0',
  'com.docker.compose.container-number': '2',
  'com.docker.compose.depends_on': '',
  'com.docker.compose.image': 'sha256:5b0d2a4c6e8f0a1b3c5d7e9f1a2b3c4d5e6f7a8b9c0d3f1c0a6e9b2d4f5a8c7e1',
  'com.docker.compose.oneoff': 'False',
  'com.docker.compose.project': 'shop',
  'com.docker.compose.project.config_files': '/srv/shop/compose.yaml',
  'com.docker.compose.project.working_dir': '/srv/shop',
  'com.docker.compose.service': 'web',
  'com.docker.compose.version': '2.29.7',
};

describe('slimInspect', () => {
  it.each([
    ['a replicated task', SWARM_CONTAINER],
    ['a global task', withState({}, GLOBAL_LABELS)],
    ['a Compose replica without health', withState({ Health: undefined }, COMPOSE_LABELS)],
    ['an exited container', withState({ Running: false, Pid: 0 }, GLOBAL_LABELS)],
  ])('keeps all that taskFromInspect reads of %s', (_what, inspect) => {
    expect(taskFromInspect(slimInspect(inspect), NODE)).toEqual(taskFromInspect(inspect, NODE));
  });

  it('drops the rest: environment, command, image', () => {
    const full = JSON.stringify(SWARM_CONTAINER);
    const slim = JSON.stringify(slimInspect(SWARM_CONTAINER));
    for (const key of ['"Env"', 'NODE_VERSION', '"Args"', '"Image"']) {
      expect(full).toContain(key);
      expect(slim).not.toContain(key);
    }
    expect(slim.length).toBeLessThan(JSON.stringify(SWARM_CONTAINER).length / 2);
  });

  it('takes garbage without throwing and yields no task from it', () => {
    for (const junk of [null, 42, 'x', [], { State: 'up', NetworkSettings: { Networks: [1, null] } }]) {
      expect(taskFromInspect(slimInspect(junk), NODE)).toBeNull();
    }
  });
});

describe('taskFromInspect', () => {
  it('reads a replicated Swarm task container', () => {
    expect(taskFromInspect(SWARM_CONTAINER, NODE)).toEqual({
      id: 'kq3m1m0xk8x2d2x0yq4q9b7hz',
      containerId: SWARM_CONTAINER.Id,
      name: 'shop_web.2',
      serviceId: 'vq8kq2x1y0zq3w4e5r6t7y8u9',
      serviceName: 'shop_web',
      stack: 'shop',
      slot: '2',
      nodeId: 'n5r8ruq3l9w4e2k1c0yq7s6tz',
      nodeName: 'worker-1',
      pid: 14971,
      health: 'healthy',
      startedAt: Date.UTC(2026, 10, 26, 10, 0, 1, 523),
      networks: { ingress: '10.0.0.7', shop_default: '10.0.2.4' },
      labels: SWARM_CONTAINER.Config.Labels,
    } satisfies TaskRef);
  });

  it('reads a global-service task, whose slot is its node id', () => {
    expect(taskFromInspect(withState({}, GLOBAL_LABELS), NODE)).toMatchObject({
      id: 'p0o9i8u7y6t5r4e3w2q1a2s3d',
      name: 'monitoring_swarm-balance.n5r8ruq3l9w4',
      serviceName: 'monitoring_swarm-balance',
      stack: 'monitoring',
      slot: 'n5r8ruq3l9w4e2k1c0yq7s6tz',
    });
  });

  it('reads a Compose replica', () => {
    expect(taskFromInspect(withState({ Health: undefined }, COMPOSE_LABELS), NODE)).toMatchObject({
      id: '3f1c0a6e9b2d',
      containerId: SWARM_CONTAINER.Id,
      name: 'shop-web-2',
      serviceId: 'shop_web',
      serviceName: 'shop_web',
      stack: 'shop',
      slot: '2',
      nodeId: NODE.id,
      health: 'none',
    });
  });

  it.each([
    [
      'an exited container',
      { Status: 'exited', Running: false, Pid: 0, ExitCode: 137, FinishedAt: '2026-11-26T10:05:00.1Z' },
      undefined,
    ],
    [
      'a created container never started',
      { Status: 'created', Running: false, Pid: 0, StartedAt: '0001-01-01T00:00:00Z' },
      undefined,
    ],
    ['a running container without a PID', { Pid: 0 }, undefined],
    ['a plain container, neither a Swarm task nor a Compose replica', {}, { maintainer: 'someone' }],
    ['a container with a task id but no service name', {}, { 'com.docker.swarm.task.id': 'kq3m1m0xk8x2d2x0yq4q9b7hz' }],
  ])('gives null for %s', (_what, state, labels) => {
    expect(taskFromInspect(withState(state, labels), NODE)).toBeNull();
  });

  it.each([
    ['starting', 'starting'],
    ['unhealthy', 'unhealthy'],
    ['something new', 'none'],
  ])('reads the health status %s as %s', (status, health) => {
    expect(taskFromInspect(withState({ Health: { Status: status, FailingStreak: 0, Log: [] } }), NODE)?.health).toBe(
      health,
    );
  });

  it('merges service labels under the container labels', () => {
    const task = taskFromInspect(SWARM_CONTAINER, NODE, {
      'swarm-balance.signal': 'bytes',
      'com.docker.stack.namespace': 'other',
    });
    expect(task?.labels['swarm-balance.signal']).toBe('bytes');
    expect(task?.labels['com.docker.stack.namespace']).toBe('shop');
  });

  it('leaves out networks the container has no address on', () => {
    const inspect = {
      ...SWARM_CONTAINER,
      NetworkSettings: { Networks: { ...SWARM_CONTAINER.NetworkSettings.Networks, host: { IPAddress: '' } } },
    };
    expect(taskFromInspect(inspect, NODE)?.networks).toEqual({ ingress: '10.0.0.7', shop_default: '10.0.2.4' });
  });

  it('takes the node id from the engine when the container has no node label', () => {
    const { 'com.docker.swarm.node.id': _omitted, ...labels } = SWARM_CONTAINER.Config.Labels;
    expect(taskFromInspect(withState({}, labels), { id: 'other-node', name: 'n' })?.nodeId).toBe('other-node');
  });
});

const SERVICE = {
  ID: 'vq8kq2x1y0zq3w4e5r6t7y8u9',
  Version: { Index: 1234 },
  CreatedAt: '2026-11-26T09:50:00.000000001Z',
  UpdatedAt: '2026-11-26T09:58:00.000000001Z',
  Spec: {
    Name: 'shop_web',
    Labels: {
      'com.docker.stack.image': 'sb-test/node:1',
      'com.docker.stack.namespace': 'shop',
      'swarm-balance.signal': 'requests',
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'sb-test/node:1',
        Labels: { 'com.docker.stack.namespace': 'shop' },
        Args: ['node', '/app/demo-app.js'],
        Isolation: 'default',
      },
      Resources: {},
      RestartPolicy: { Condition: 'any', Delay: 5_000_000_000, MaxAttempts: 0 },
      Placement: { Platforms: [{ Architecture: 'amd64', OS: 'linux' }] },
      Networks: [{ Target: 'p4q5r6s7t8u9shopdefault1', Aliases: ['web'] }],
      ForceUpdate: 0,
      Runtime: 'container',
    },
    Mode: { Replicated: { Replicas: 3 } },
    UpdateConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5_000_000_000,
      MaxFailureRatio: 0,
      Order: 'stop-first',
    },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8080, PublishMode: 'ingress' }],
    },
  },
  Endpoint: {
    Spec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8080, PublishMode: 'ingress' }] },
    Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8080, PublishMode: 'ingress' }],
    VirtualIPs: [
      { NetworkID: 'm8x2jlw0c6b4ingressnet01', Addr: '10.0.0.5/24' },
      { NetworkID: 'p4q5r6s7t8u9shopdefault1', Addr: '10.0.2.2/24' },
    ],
  },
};

const withSpec = (spec: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  ...SERVICE,
  ...rest,
  Spec: { ...SERVICE.Spec, ...spec },
});

describe('serviceFromApi', () => {
  it('reads a replicated vip service with an ingress port', () => {
    const running = [{ id: 't1', nodeId: 'n1', slot: '1' }];
    expect(serviceFromApi(SERVICE, running)).toEqual({
      id: 'vq8kq2x1y0zq3w4e5r6t7y8u9',
      name: 'shop_web',
      stack: 'shop',
      mode: 'replicated',
      desiredReplicas: 3,
      endpointMode: 'vip',
      ports: [{ target: 8080, published: 8080, protocol: 'tcp', publishMode: 'ingress' }],
      labels: SERVICE.Spec.Labels,
      version: 1234,
      runningTasks: running,
      updateInProgress: false,
    });
  });

  it.each([
    [
      'a dnsrr service with a host-mode port',
      withSpec({
        EndpointSpec: {
          Mode: 'dnsrr',
          Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8081, PublishMode: 'host' }],
        },
      }),
      { endpointMode: 'dnsrr', ports: [{ target: 80, published: 8081, protocol: 'tcp', publishMode: 'host' }] },
    ],
    ['a service with no endpoint spec', withSpec({ EndpointSpec: undefined }), { endpointMode: 'vip', ports: [] }],
    [
      'a port with no published port and no protocol',
      withSpec({ EndpointSpec: { Mode: 'vip', Ports: [{ TargetPort: 53 }] } }),
      { ports: [{ target: 53, protocol: 'tcp', publishMode: 'ingress' }] },
    ],
    ['a global service', withSpec({ Mode: { Global: {} } }), { mode: 'global', desiredReplicas: null }],
    [
      'a service scaled to zero',
      withSpec({ Mode: { Replicated: { Replicas: 0 } } }),
      { mode: 'replicated', desiredReplicas: 0 },
    ],
    [
      'a service in the middle of an update',
      withSpec(
        {},
        { UpdateStatus: { State: 'updating', StartedAt: '2026-11-26T10:01:00Z', Message: 'update in progress' } },
      ),
      { updateInProgress: true },
    ],
    [
      'a service rolling back',
      withSpec({}, { UpdateStatus: { State: 'rollback_started', Message: 'update rolled back due to failure' } }),
      { updateInProgress: true },
    ],
    [
      'a service whose update completed',
      withSpec(
        {},
        { UpdateStatus: { State: 'completed', CompletedAt: '2026-11-26T10:02:00Z', Message: 'update completed' } },
      ),
      { updateInProgress: false },
    ],
    [
      'a paused update',
      withSpec({}, { UpdateStatus: { State: 'paused', Message: 'update paused due to failure' } }),
      { updateInProgress: false },
    ],
    ['a service outside any stack', withSpec({ Labels: {} }), { stack: '', labels: {} }],
  ])('reads %s', (_what, service, expected) => {
    expect(serviceFromApi(service, null)).toMatchObject(expected);
  });
});

const task = (over: Record<string, unknown>) => ({
  ID: 'kq3m1m0xk8x2d2x0yq4q9b7hz',
  Version: { Index: 1240 },
  CreatedAt: '2026-11-26T09:59:58.1Z',
  UpdatedAt: '2026-11-26T10:00:01.6Z',
  Labels: {},
  Spec: { ContainerSpec: { Image: 'sb-test/node:1' } },
  ServiceID: 'vq8kq2x1y0zq3w4e5r6t7y8u9',
  Slot: 2,
  NodeID: 'n5r8ruq3l9w4e2k1c0yq7s6tz',
  Status: {
    Timestamp: '2026-11-26T10:00:01.6Z',
    State: 'running',
    Message: 'started',
    ContainerStatus: { ContainerID: SWARM_CONTAINER.Id, PID: 14971, ExitCode: 0 },
  },
  DesiredState: 'running',
  ...over,
});

describe('runningTasksByService', () => {
  it('groups the running tasks by service and leaves out the rest', () => {
    const tasks = [
      task({}),
      task({ ID: 'a1', Slot: 1, NodeID: 'n2' }),
      task({ ID: 'old', Slot: 2, Status: { State: 'shutdown', Message: 'shutdown' }, DesiredState: 'shutdown' }),
      task({ ID: 'stopping', Slot: 3, DesiredState: 'shutdown' }),
      task({ ID: 'failed', Slot: 3, Status: { State: 'failed', Err: 'task: non-zero exit (1)' } }),
      task({ ID: 'starting', Slot: 3, Status: { State: 'starting' } }),
      task({ ID: 'g1', ServiceID: 'z9y8x7w6v5u4t3s2r1q0p9o8n', Slot: undefined, NodeID: 'n5r8ruq3l9w4e2k1c0yq7s6tz' }),
    ];
    expect(Object.fromEntries(runningTasksByService(tasks))).toEqual({
      vq8kq2x1y0zq3w4e5r6t7y8u9: [
        { id: 'kq3m1m0xk8x2d2x0yq4q9b7hz', nodeId: 'n5r8ruq3l9w4e2k1c0yq7s6tz', slot: '2' },
        { id: 'a1', nodeId: 'n2', slot: '1' },
      ],
      z9y8x7w6v5u4t3s2r1q0p9o8n: [{ id: 'g1', nodeId: 'n5r8ruq3l9w4e2k1c0yq7s6tz', slot: 'n5r8ruq3l9w4e2k1c0yq7s6tz' }],
    });
  });

  it('gives the same task id and slot as taskFromInspect, so reports join running tasks', () => {
    const [listed] = runningTasksByService([task({})]).get('vq8kq2x1y0zq3w4e5r6t7y8u9') ?? [];
    const inspected = taskFromInspect(SWARM_CONTAINER, NODE);
    expect(listed).toEqual({ id: inspected?.id, nodeId: inspected?.nodeId, slot: inspected?.slot });
  });

  it.each([
    ['null', null],
    ['an error body', { message: 'This node is not a swarm manager.' }],
  ])('gives no services for %s', (_what, body) => {
    expect(runningTasksByService(body).size).toBe(0);
  });
});

describe('composeService', () => {
  it('makes a service from the Compose replicas seen', () => {
    const replicas = [1, 2].map((n) =>
      taskFromInspect(
        {
          ...withState({}, { ...COMPOSE_LABELS, 'com.docker.compose.container-number': String(n) }),
          Id: `${n}`.repeat(64),
        },
        NODE,
      )!,
    );
    expect(composeService(replicas)).toMatchObject({
      id: 'shop_web',
      name: 'shop_web',
      stack: 'shop',
      mode: 'compose',
      endpointMode: 'none',
      desiredReplicas: null,
      runningTasks: [
        { id: '111111111111', nodeId: NODE.id, slot: '1' },
        { id: '222222222222', nodeId: NODE.id, slot: '2' },
      ],
    });
  });
});

describe('endpointsFromList', () => {
  it('lists each address of each container, with its task and service', () => {
    const list = [
      {
        Id: SWARM_CONTAINER.Id,
        Names: ['/shop_web.2.kq3m1m0xk8x2d2x0yq4q9b7hz'],
        Labels: SWARM_CONTAINER.Config.Labels,
        State: 'running',
        NetworkSettings: { Networks: { ingress: { IPAddress: '10.0.0.7' }, shop_default: { IPAddress: '10.0.2.4' } } },
      },
    ];
    expect(endpointsFromList(list, NODE)).toEqual([
      {
        address: '10.0.0.7',
        container: 'shop_web.2.kq3m1m0xk8x2d2x0yq4q9b7hz',
        containerId: SWARM_CONTAINER.Id,
        network: 'ingress',
        nodeId: NODE.id,
        nodeName: NODE.name,
        task: 'shop_web.2',
        service: 'shop_web',
      },
      {
        address: '10.0.2.4',
        container: 'shop_web.2.kq3m1m0xk8x2d2x0yq4q9b7hz',
        containerId: SWARM_CONTAINER.Id,
        network: 'shop_default',
        nodeId: NODE.id,
        nodeName: NODE.name,
        task: 'shop_web.2',
        service: 'shop_web',
      },
    ]);
  });
});

describe('gwbridgeAddresses', () => {
  it('maps container ids to their gateway-bridge address without the prefix length', () => {
    const network = {
      Name: 'docker_gwbridge',
      Id: 'c0ffee',
      Driver: 'bridge',
      Containers: {
        [SWARM_CONTAINER.Id]: {
          Name: 'gateway_6d2a1c0b9e8f',
          EndpointID: 'ab12',
          MacAddress: '02:42:ac:12:00:03',
          IPv4Address: '172.18.0.3/16',
          IPv6Address: '',
        },
        'ingress-sbox': {
          Name: 'gateway_ingress-sbox',
          EndpointID: 'cd34',
          MacAddress: '02:42:ac:12:00:02',
          IPv4Address: '172.18.0.2/16',
          IPv6Address: '',
        },
      },
    };
    expect(Object.fromEntries(gwbridgeAddresses(network))).toEqual({
      [SWARM_CONTAINER.Id]: '172.18.0.3',
      'ingress-sbox': '172.18.0.2',
    });
  });
});
