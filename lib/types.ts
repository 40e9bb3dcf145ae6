import type { Readable } from 'node:stream'

/** Options of {@link createNewContainer}. All are optional. */
export interface CreateOptions {
  /**
   * Image name or id. Default: the profile's image (`pocket-dock/<profile>`),
   * `pocket-dock/minimal-python` without a profile. Pulled first only as
   * `pull` says.
   */
  image?: string
  /** Container name. Default `pd-<8 hex>`. */
  name?: string
  /** Default per-command timeout in seconds (default 30; `Infinity` = none). */
  timeout?: number
  /** Memory limit: `"256m"`, `"1g"`, `"512k"`, or bytes. */
  memLimit?: string | number
  /** CPU limit, 1–100 percent of one core. */
  cpuPercent?: number
  /** Keep the container (stopped) after `shutdown()`. Default false (in a project: its `default_persist`). */
  persist?: boolean
  /** Bind mounts, host path → container path (append `:ro` for read-only). */
  volumes?: Record<string, string>
  /**
   * Project name, recorded as a label. Default: the name of the project
   * found from the cwd (see `docs/projects.md`); naming another project
   * leaves the cwd's project out.
   */
  project?: string
  /**
   * The root of the project whose `.pocket-dock/pocket-dock.yaml` applies
   * (default: the nearest one from the cwd up). Not initialized:
   * `ProjectNotInitialized`.
   */
  projectRoot?: string
  /**
   * A built-in profile (see {@link listProfiles}): its image and network
   * default apply unless `image`/`network` are given. Unknown names are a
   * `RangeError`.
   */
  profile?: string
  /** Host devices to pass through, e.g. `["/dev/ttyUSB0"]`. */
  devices?: string[]
  /**
   * Published ports, host port → container port (`80` or `"53/udp"`). Host
   * port `0`, or a list of container ports (`[80, "53/udp"]`), publishes on
   * free host ports: read them back from `info().ports`.
   */
  ports?: Record<number | string, number | string> | Array<number | string>
  /** The engine's Unix socket; default: discovery. Same as `host`. */
  socketPath?: string
  /** The engine: `unix:///path`, `tcp://host:2376` (with `tls`), `ssh://user@host[:port]`, `npipe://…`; default: discovery. */
  host?: string
  /** TLS files for a `tcp://` host: see {@link TlsOptions}. */
  tls?: TlsOptions
  /** Allow plain (unencrypted) TCP to a host other than loopback. */
  allowInsecure?: boolean
  /** Environment variables of the container. */
  env?: Record<string, string>
  /** Working directory (absolute). */
  workdir?: string
  /**
   * `false` ⇒ no network at all. Default: the profile's network default
   * (off for `minimal-*`, the default profile); with an `image` and no
   * profile, the engine's default network.
   */
  network?: boolean
  /** Pull the image first: `'never'` (default), `'missing'` or `'always'`, as `docker run --pull`. */
  pull?: 'never' | 'missing' | 'always'
  /** Stops the image pull (`pull: 'missing' | 'always'`): the call rejects with `AbortError`. */
  signal?: AbortSignal
  /** Extra labels (keys starting with `pocket-dock.` are reserved). */
  labels?: Record<string, string>
  /** Most processes at once (default 1024, a fork-bomb guard); `Infinity` = no limit. */
  pidsLimit?: number
  /** Run an init as PID 1 so signals and zombie reaping work (default true; Podman needs `catatonit`). */
  init?: boolean
  /** Forbid gaining privileges through setuid binaries or file capabilities (default true). */
  noNewPrivileges?: boolean
  /**
   * A read-only root file system (default false); `/tmp`, `/home/sandbox` and
   * `workdir` stay writable as tmpfs (their contents are lost on reboot).
   */
  readOnly?: boolean
  /** Extra tmpfs mounts: container path → mount options, e.g. `{ "/scratch": "size=64m" }` (`""`: defaults). */
  tmpfs?: Record<string, string>
  /**
   * Linux capabilities to drop (`["ALL"]`, `["NET_RAW"]`; with or without
   * `CAP_`, any case). Default: the profile's (`agent` drops NET_RAW, MKNOD,
   * AUDIT_WRITE, SYS_CHROOT, SETFCAP, SETPCAP), none for the others.
   */
  capDrop?: string[]
  /**
   * Linux capabilities to add. Those that let a process leave or weaken the
   * sandbox (SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, NET_ADMIN, ALL, …)
   * are a `TypeError` unless `allowDangerous` is true.
   */
  capAdd?: string[]
  /** Allow `capAdd` to grant capabilities that break the sandbox. Default false. */
  allowDangerous?: boolean
}

/** TLS material of a `tcp://` engine: PEM file paths (relative ones resolve against the cwd). */
export interface TlsOptions {
  /** The CA that signed the engine's certificate; the only one trusted. */
  ca: string
  /** The client certificate the engine checks (with `key`). */
  cert?: string
  /** The key of the client certificate (with `cert`). */
  key?: string
}

/** The engine to use (default: discovery; see `docs/remote.md`). */
export interface SocketOptions {
  /** A local socket path, or any `host` string; default: the first engine that answers (see "Engine discovery" in the README). */
  socketPath?: string
  /** `unix:///path`, `tcp://host:port`, `ssh://user@host[:port]`, `npipe:////./pipe/name`. */
  host?: string
  /** TLS files for a `tcp://` host. */
  tls?: TlsOptions
  /** Allow plain (unencrypted) TCP to a host other than loopback. */
  allowInsecure?: boolean
}

/** One configured engine, as {@link engines} and {@link ping} report it. */
export interface EngineStatus {
  /** The address as a person reads it (`unix:///var/run/docker.sock`, `tcp://h:2376`, `ssh://u@h`). */
  host: string
  /** How it is configured: `host`, `POCKET_DOCK_SOCKET`, `DOCKER_HOST`, `Docker context "x"`, `Podman rootful`, … */
  source: string
  /** Whether it answered a ping. */
  ok: boolean
  /** Which engine answered (null: none did). */
  kind: 'docker' | 'podman' | null
  /** The engine's version (`20.10.24`, `4.3.1`). */
  version: string | null
  /** The API version the engine speaks (`1.41`). */
  apiVersion: string | null
  /** One ping's round trip over an open connection, in milliseconds. */
  latencyMs: number | null
  /** Why it did not answer (a pocket-dock error). */
  error: Error | null
}

/** Options of {@link resumeContainer}. */
export interface ResumeOptions extends SocketOptions {
  /** Default per-command timeout in seconds; default: what the container was created with. */
  timeout?: number
}

/** Options of {@link listContainers} and {@link prune}. */
export interface ProjectOptions extends SocketOptions {
  /** Only the containers of this project. */
  project?: string
}

/** Options of {@link AsyncContainer.reboot}. */
export interface RebootOptions {
  /** Recreate from the image with the same name and configuration (files are lost). Default: restart in place. */
  fresh?: boolean
}

/** One process of {@link ContainerInfo.processes}. */
export interface ProcessInfo {
  /** The engine's view of the pid: the host's on Docker, the container's on Podman. */
  pid: number
  /** The user it runs as. */
  user: string
  /** Its command line. */
  command: string
}

/** What {@link AsyncContainer.info} reports, read live from the engine. */
export interface ContainerInfo {
  /** The engine's id of the container. */
  id: string
  /** Its name. */
  name: string
  /** `running`, `exited`, `created`, `paused`, … */
  status: string
  /** The image it was created from. */
  image: string
  /** When it was created. */
  createdAt: Date
  /** When it last started; `null` when it is not running. */
  startedAt: Date | null
  /** Milliseconds since it last started (0 when not running). */
  uptime: number
  /** Memory in use without reclaimable cache, as text (`"1.2 MiB"`). */
  memoryUsage: string
  /** {@link ContainerInfo.memoryUsage} in bytes. */
  memoryUsageBytes: number
  /** The memory limit as text; without a limit, the engine's whole memory. */
  memoryLimit: string
  /** {@link ContainerInfo.memoryLimit} in bytes. */
  memoryLimitBytes: number
  /** Memory in use, in percent of the limit. */
  memoryPercent: number
  /** CPU use over a 0.1 s sample, in percent of one core. */
  cpuPercent: number
  /** Processes (and threads) in the container. */
  pids: number
  /** Whether it has a network beyond loopback. */
  network: boolean
  /** Its address on the engine's network; `null` without a network. */
  ipAddress: string | null
  /** Published ports: container port (`"80"`, `"53/udp"`) → host port. */
  ports: Record<string, number>
  /** The processes running in it. */
  processes: ProcessInfo[]
  /**
   * How a command's processes are found when it is killed (timeout, abort,
   * `kill()`, `reboot()`):
   * - `'subreaper'`: every command runs under pocket-dock's small runner,
   *   placed into the container when it is created; whatever the command
   *   starts stays in its tree (even through `setsid`, a double fork or
   *   `env -i`) and is killed with it.
   * - `'marker'`: the fallback where the runner could not be placed (a
   *   read-only root file system on Docker, a foreign architecture, no runner
   *   for this platform): processes carrying the command's environment marker
   *   and their process groups are killed; one that starts a new session and
   *   clears its environment escapes.
   */
  killMode: 'subreaper' | 'marker'
  /** The engine this container runs on (`unix:///…`, `tcp://…`, `ssh://…`). */
  engine: string
  /** How that engine was found: `host`, `DOCKER_HOST`, `Docker context "x"`, `Podman rootful`, … */
  engineSource: string
}

/** One entry of {@link listContainers}. */
export interface ContainerListItem {
  /** The engine's id of the container. */
  id: string
  /** Its name. */
  name: string
  /** `running`, `exited`, `created`, … */
  status: string
  /** The image it was created from. */
  image: string
  /** When it was created. */
  createdAt: Date
  /** Whether it was created with `persist: true` (it outlives its creator). */
  persist: boolean
  /** The project it belongs to, if any. */
  project: string | null
}

/** Options of {@link AsyncContainer.run}. */
export interface RunOptions {
  /** Seconds before the command is killed; default the container's `timeout`. */
  timeout?: number
  /** Bytes of stdout+stderr kept (default 10 MiB); the rest is dropped and `truncated` set. */
  maxOutput?: number
  /** `"sh"` (default, `sh -c`), `"bash"`, `"python"` (`python3 -c`) or `"node"` (`node -e`). */
  lang?: 'sh' | 'bash' | 'python' | 'node'
  /** Extra environment variables for this command. */
  env?: Record<string, string>
  /** Working directory (absolute) for this command. */
  workdir?: string
  /** User (name or uid[:gid]) to run as. */
  user?: string
  /**
   * The command's stdin: a string or bytes (fed, then closed); a `Readable`
   * or `AsyncIterable<Uint8Array>` (streamed with backpressure, then closed;
   * async API only); or `'pipe'` (with `detach`: write later with
   * `process.write()`, end with `process.closeStdin()`).
   */
  stdin?: string | Uint8Array | Readable | AsyncIterable<Uint8Array> | 'pipe'
  /** Aborting kills the command inside the container and rejects with `AbortError`. */
  signal?: AbortSignal
  /** Streaming mode: resolve at once with an `AsyncExecStream` (not with `detach`). */
  stream?: boolean
  /** Detached mode: resolve at once with an `AsyncProcess` (not with `stream`). Only an explicit `timeout` applies. */
  detach?: boolean
  /**
   * When the command exits, kill whatever it left running in the background
   * (its whole process tree). Default `false`: `run('server &')` keeps the
   * server running after `run()` returns.
   */
  killLeftovers?: boolean
  /**
   * `'utf8'` (default): output is text, decoded as UTF-8 (a character is never
   * split). `'buffer'`: `stdout`/`stderr`, stream chunks, snapshots and
   * callbacks carry `Buffer`s, byte for byte.
   */
  encoding?: 'utf8' | 'buffer'
  /**
   * Run in a pseudo-terminal, as `docker exec -t`: stdin, stdout and stderr
   * are the terminal (stderr arrives merged into stdout, with `\r\n` line ends).
   */
  tty?: boolean
  /** The terminal's width in characters (with `tty`; default 80). */
  cols?: number
  /** The terminal's height in characters (with `tty`; default 24). */
  rows?: number
}

/** Options of {@link AsyncContainer.waitForPort} and {@link AsyncProcess.waitForOutput}. */
export interface WaitOptions {
  /** Seconds to wait at most (default 30; `Infinity`: no limit), then a `TimeoutError`. */
  timeout?: number
  /** Aborting stops waiting and rejects with `AbortError`. */
  signal?: AbortSignal
}

/** Options of {@link AsyncContainer.shutdown}. */
export interface ShutdownOptions {
  /** Kill at once instead of asking the main process to stop. */
  force?: boolean
}

/** A built-in profile: a build context shipped in the package, and the image it builds. */
export interface ProfileInfo {
  /** The profile's name (`minimal-python`, `dev`, …). */
  name: string
  /** The image a build is tagged with and containers of the profile run: `pocket-dock/<name>`. */
  imageTag: string
  /** Whether its containers get a network unless `network` says otherwise. */
  networkDefault: boolean
  /** What the profile is for, in a sentence. */
  description: string
  /** Roughly what the built image weighs, e.g. `"~130 MB"`. */
  sizeEstimate: string
  /** The build context directory (its `Dockerfile` and what it copies), inside the installed package. */
  dockerfileDir: string
}

/** A progress event of a long image operation, by `kind`. */
export type ProgressEvent =
  /** A build reached step `step` of `total`; `text` is its instruction (`RUN make`). */
  | {
      /** A build step began. */
      kind: 'step'
      /** Its number, from 1. */
      step: number
      /** How many steps the build has. */
      total: number
      /** Its instruction (`RUN make`). */
      text: string
    }
  /** A line a build printed. */
  | {
      /** Build output. */
      kind: 'log'
      /** One line of it. */
      text: string
    }
  /** A pull's progress on one layer; bytes where the engine reports them (Docker does, Podman not). */
  | {
      /** Pull progress. */
      kind: 'layer'
      /** The layer (or blob) id. */
      id: string
      /** The engine's status text (`Downloading`, `Pull complete`, …). */
      status: string
      /** Bytes done, where the engine reports them. */
      current?: number
      /** Bytes in the layer, where the engine reports them. */
      total?: number
    }
  /** Bytes of an image archive moved so far, of `total` when known. */
  | {
      /** Archive bytes moved. */
      kind: 'bytes'
      /** Bytes so far. */
      done: number
      /** All bytes, when known. */
      total?: number
    }

/** What every long image operation takes: where to report progress, and how to stop it. */
export interface ProgressOptions extends SocketOptions {
  /** Called with each {@link ProgressEvent}, in order, before the call settles. */
  onProgress?: (event: ProgressEvent) => void
  /** Aborting stops the operation on the engine and rejects with `AbortError`. */
  signal?: AbortSignal
}

/** Options of {@link buildImage}. */
export interface BuildImageOptions extends ProgressOptions {
  /** The build context: a directory (its `.dockerignore` is honoured). */
  context: string
  /** The Dockerfile, relative to `context` (default `Dockerfile`); it must lie inside the context. */
  dockerfile?: string
  /** The image name to tag the result with (`name` or `name:tag`). */
  tag: string
  /** `ARG` values. */
  buildArgs?: Record<string, string>
  /** Build every step anew, ignoring the engine's cache. */
  noCache?: boolean
  /** Labels to put on the image. */
  labels?: Record<string, string>
}

/** Options of {@link buildProfile}. */
export interface BuildProfileOptions extends ProgressOptions {
  /** Build every step anew, ignoring the engine's cache. */
  noCache?: boolean
  /** Extra `ARG` values, e.g. `{ BASE: 'my-mirror/python:3.12-slim' }` to build on another base image. */
  buildArgs?: Record<string, string>
}

/** Options of {@link pullImage}. */
export interface PullImageOptions extends ProgressOptions {
  /** Registry credentials. */
  auth?: {
    /** The registry user. */
    username: string
    /** Their password or token. */
    password: string
  }
  /**
   * Verify the registry's TLS certificate (default: yes, except for a
   * registry on a loopback address, which both engines then reach over plain
   * HTTP). `false` for a plain-HTTP registry elsewhere (Docker also needs it
   * in its daemon's `insecure-registries`).
   */
  tlsVerify?: boolean
}

/** One entry of {@link listImages}. */
export interface ImageInfo {
  /** `sha256:…` */
  id: string
  /** Its names (`repo:tag`); empty for an untagged image. */
  tags: string[]
  /** Bytes on disk. */
  size: number
  /** When it was created. */
  createdAt: Date
  /** The profile it was built from, if any. */
  profile: string | null
  /** Its labels. */
  labels: Record<string, string>
}

/** Options of {@link listImages}. */
export interface ListImagesOptions extends SocketOptions {
  /** Every image on the engine, not only pocket-dock's (built, committed, profiles'). */
  all?: boolean
}

/** Options of {@link removeImage}. */
export interface RemoveImageOptions extends SocketOptions {
  /** Remove it even if containers use it or it has several names. */
  force?: boolean
}

/** Options of {@link exportImages}. */
export interface ExportImagesOptions extends ProgressOptions {
  /** Compress the archive with gzip (`importImages` and `docker load` read both). */
  gzip?: boolean
}

/**
 * Options of {@link createPool}: the pool's `size` and the {@link CreateOptions}
 * every container of the pool is created with. Pooled containers are
 * ephemeral and named by the pool, so `name` and `persist` are refused, and a
 * published port must let the engine pick the host port (`{ 0: 80 }`) when
 * `size` is above 1.
 */
export interface PoolOptions extends Omit<CreateOptions, 'name' | 'persist'> {
  /** How many started containers to keep warm: 1–100. */
  size: number
}

// ---- Projects (docs/projects.md) ----

/** Options of {@link initProject}. */
export interface InitProjectOptions {
  /** The project's name (default: the directory's name). No `/` and no control characters. */
  projectName?: string
}

/** Options of {@link doctor}. */
export interface DoctorOptions extends SocketOptions {
  /** The project to check (default: the nearest one from the cwd up). */
  projectRoot?: string
}

/** What {@link doctor} found. */
export interface DoctorReport {
  /** Persistent containers of the project that have no instance directory. */
  orphanedContainers: string[]
  /** Instance directories (by container name) whose container is gone. */
  staleInstanceDirs: string[]
  /** How many containers have their instance directory. */
  healthy: number
}

/**
 * One line of an instance's `history.jsonl`: one per `run` (blocking,
 * streamed or detached) and per session `sendAndWait`, written when the
 * command ends.
 */
export interface HistoryLine {
  /** When the command started: RFC 3339, UTC, with milliseconds. */
  time: string
  /** How it ran: blocking `run`, `stream`, `detach`, or a session's `sendAndWait`. */
  kind: 'run' | 'stream' | 'detach' | 'session'
  /** The command as given; an argv array is shown shell-quoted, one line. */
  command: string
  /** -1 when the command was killed (timeout, shutdown) or its code is unknown. */
  exitCode: number
  /** How long it ran, in milliseconds. */
  durationMs: number
  /** It was killed at its timeout. */
  timedOut: boolean
  /** Its output went past `maxOutput` (or the process's buffer) and was cut. */
  truncated: boolean
}

// ---- The project in force (projectInfo; the CLI's `status` and `logs`) ----

/** What {@link projectInfo} reports: where a project lives and the configuration in force. */
export interface ProjectInfo {
  /** The directory holding `.pocket-dock/`. */
  root: string
  /** `.pocket-dock/instances/`: one directory per persistent container (`history.jsonl`, `logs/`). */
  instancesDir: string
  /** `project_name`, or the root directory's name. */
  projectName: string
  /** `default_profile`: the profile of a container created without `image`/`profile`. */
  defaultProfile: string | null
  /** `default_persist`: whether containers are persistent unless `persist` says otherwise. */
  defaultPersist: boolean
  /** `auto_log`: whether the output of commands goes to the instance's `logs/`. */
  autoLog: boolean
  /** `max_log_size`, in bytes: a log file is rotated at this size. */
  maxLogSize: number
  /** `max_logs_per_instance`: rotated log files kept per container. */
  maxLogsPerInstance: number
  /** `retention_days`: log files older than this are removed. */
  retentionDays: number
  /** `socket`: the engine this project uses (null: discovery). */
  socket: string | null
  /** `log_level`: at `error`, the journal's warnings are silenced. */
  logLevel: 'error' | 'warn' | 'info' | 'debug'
}
