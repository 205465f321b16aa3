// One line per event, text for people or JSON for log shippers. Small on
// purpose: the proxy logs a line per request and nothing else at info level.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly json: boolean;
  readonly write: (line: string) => void;
  readonly now?: () => Date;
}

function formatField(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (RANK[level] < RANK[options.level]) return;
    if (options.json) {
      options.write(JSON.stringify({ time: now().toISOString(), level, msg: message, ...fields }) + '\n');
      return;
    }
    const extra = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${formatField(v)}`).join(' ');
    const tag = level === 'info' ? '' : `${level.toUpperCase()} `;
    options.write(`${now().toISOString()} ${tag}${message}${extra ? ' ' + extra : ''}\n`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    enabled: (level) => RANK[level] >= RANK[options.level],
  };
}
