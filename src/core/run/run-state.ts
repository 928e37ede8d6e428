/** Lifecycle of a run, in order; the last three are terminal. */
export const RUN_STATES = ['queued', 'running', 'finalizing', 'done', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TERMINAL_STATES = ['done', 'failed', 'cancelled'] as const satisfies readonly RunState[];
export type TerminalState = (typeof TERMINAL_STATES)[number];

export function isTerminal(state: RunState): state is TerminalState {
  return (TERMINAL_STATES as readonly RunState[]).includes(state);
}
