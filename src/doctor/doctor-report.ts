// What doctor found: observations in order, and problems each with the fix an operator can apply.

export interface DoctorProblem {
  problem: string;
  fix: string;
}

export interface DoctorResult {
  healthy: boolean;
  lines: string[];
  problems: DoctorProblem[];
}

export class DoctorReport {
  readonly lines: string[] = [];
  readonly problems: DoctorProblem[] = [];

  line(text: string): void {
    this.lines.push(text);
  }

  problem(problem: string, fix: string): void {
    this.problems.push({ problem, fix });
  }

  result(): DoctorResult {
    return { healthy: this.problems.length === 0, lines: [...this.lines], problems: [...this.problems] };
  }
}

export function formatDoctorReport(result: DoctorResult): string {
  const out = [...result.lines, ''];
  if (result.healthy) {
    out.push('No problems found.');
  } else {
    out.push(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}:`);
    result.problems.forEach((p, i) => out.push(`${i + 1}. ${p.problem}`, `   fix: ${p.fix}`));
  }
  return `${out.join('\n')}\n`;
}
