// One error base with a stable `code`; callers branch on the code, never on the message.
// Every code is listed in the README's troubleshooting table.

export const ErrorCodes = {
  CONFIG_INVALID: 'SB_CONFIG_INVALID',
  CONFIG_FILE_UNREADABLE: 'SB_CONFIG_FILE_UNREADABLE',
  DOCKER_UNREACHABLE: 'SB_DOCKER_UNREACHABLE',
  DOCKER_API: 'SB_DOCKER_API',
  PROC_UNREADABLE: 'SB_PROC_UNREADABLE',
  PARSE_FAILED: 'SB_PARSE_FAILED',
  HTTP_STATUS: 'SB_HTTP_STATUS',
  HTTP_TIMEOUT: 'SB_HTTP_TIMEOUT',
  HTTP_BODY_TOO_LARGE: 'SB_HTTP_BODY_TOO_LARGE',
  HTTP_CONNECT: 'SB_HTTP_CONNECT',
  LISTEN_FAILED: 'SB_LISTEN_FAILED',
  USAGE: 'SB_USAGE',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class AgentError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentError';
    this.code = code;
  }
}

export class ConfigError extends AgentError {
  constructor(message: string, options?: { cause?: unknown }, code: ErrorCode = ErrorCodes.CONFIG_INVALID) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/** A parser met text it cannot read; `reason` is short and stable so it can be logged once per cause. */
export class ParseError extends AgentError {
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(ErrorCodes.PARSE_FAILED, message);
    this.name = 'ParseError';
    this.reason = reason;
  }
}

export function errorCode(err: unknown): string {
  if (err instanceof AgentError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
