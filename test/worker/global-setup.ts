import type { TestProject } from 'vitest/node';

// Placeholder until the Node simulator lands: provides a port nothing listens on.
export default function setup(project: TestProject): void {
  project.provide('simPort', 9);
}
