// The Settings view (app only). Labels, descriptions, choices and limits come
// from the settings schema through the bridge; every message comes from the
// core's validation (as you type) or from applying (a port already in use).
import type {
  FieldInfo, SettingValue, SettingsField, SettingsForm, SettingsPatch, SettingsProblem, SettingsValues, UiBridge,
} from '../main/core/ui/bridge.js';
import { byId, h, replaceChildren } from './dom.js';

const LAYOUT = [
  { legend: 'Proxy', fields: ['port', 'host', 'token', 'target', 'rewrite', 'inlineSystem', 'cacheUsage', 'slots'] },
  { legend: 'Backend', fields: ['backend', 'router'] },
  { legend: 'Claude Code', fields: ['model', 'subagentModel', 'contextTokens', 'sideModel', 'bare', 'shell'] },
  { legend: 'App', fields: ['launchAtLogin'] },
] as const satisfies readonly { legend: string; fields: readonly SettingsField[] }[];

type LaidOut = (typeof LAYOUT)[number]['fields'][number];
/** Compiles only while every field the bridge offers has a place in LAYOUT. */
export type EveryFieldLaidOut = [Exclude<SettingsField, LaidOut>] extends [never] ? true : never;

/** Wait this long after the last keystroke before asking for validation. */
const VALIDATE_DELAY_MS = 250;

type Control = HTMLInputElement | HTMLSelectElement;

function controlId(field: string): string {
  return `setting-${field}`;
}

function option(value: string, selected: boolean): HTMLOptionElement {
  const element = h('option', { value }, value === '' ? '(off)' : value);
  element.selected = selected;
  return element;
}

function buildControl(field: SettingsField, info: FieldInfo, value: SettingsValues[SettingsField], models: readonly string[]): Control {
  const id = controlId(field);
  const described = `${id}-desc ${id}-error`;
  if (info.type === 'boolean') {
    const input = h('input', { id, type: 'checkbox', 'aria-describedby': described });
    input.checked = value === true;
    return input;
  }
  // The side-call model may be left off ('') or be any installed model.
  const choices = field === 'model' ? models : field === 'sideModel' ? ['', ...models] : info.enum;
  if (choices) {
    // The saved value stays selectable even when the list no longer has it (Ollama down, model removed).
    const values = choices.includes(String(value)) ? choices : [String(value), ...choices];
    return h('select', { id, 'aria-describedby': described }, ...values.map((choice) => option(choice, choice === String(value))));
  }
  if (info.type === 'integer') {
    const input = h('input', { id, type: 'number', inputmode: 'numeric', step: 1, min: info.minimum, max: info.maximum, 'aria-describedby': described });
    input.value = String(value);
    return input;
  }
  const input = h('input', { id, type: field === 'token' ? 'password' : 'text', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': described });
  input.value = String(value);
  return input;
}

function readControl(control: Control, info: FieldInfo): SettingValue {
  if (control instanceof HTMLInputElement && control.type === 'checkbox') return control.checked;
  // An unparsable number is sent as NaN, for validation to name, never silently replaced.
  if (info.type === 'integer') return control.value.trim() === '' ? Number.NaN : Number(control.value);
  return control.value;
}

export class SettingsView {
  private readonly form = byId<HTMLFormElement>('settings-form');
  private readonly fieldsets = byId('settings-fields');
  private readonly apply = byId<HTMLButtonElement>('settings-apply');
  private readonly revert = byId<HTMLButtonElement>('settings-revert');
  private readonly status = byId('settings-status');
  private readonly general = byId('settings-general-error');
  private loaded: SettingsForm | null = null;
  /** What applying refused (a busy port) and the values it refused: shown until that field is edited. */
  private refused: { problems: readonly SettingsProblem[]; values: Record<string, unknown> } = { problems: [], values: {} };
  private controls = new Map<SettingsField, Control>();
  private validateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Only the answer to the latest question is shown. */
  private generation = 0;

  constructor(private readonly bridge: UiBridge) {
    this.form.addEventListener('input', () => this.edited());
    this.form.addEventListener('change', () => this.edited());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.revert.addEventListener('click', () => void this.load());
  }

  /** Loads the current settings, discarding any edit. */
  async load(): Promise<void> {
    try {
      this.loaded = await this.bridge.getSettings();
    } catch (error) {
      this.general.textContent = `The settings could not be read: ${(error as Error).message}`;
      return;
    }
    this.build(this.loaded);
    this.refused = { problems: [], values: {} };
    this.showProblems([]);
    this.updateButtons();
  }

  /** Loads unless the user has edits in progress. */
  async refresh(): Promise<void> {
    if (this.loaded === null || Object.keys(this.changes()).length === 0) await this.load();
  }

  private build(form: SettingsForm): void {
    this.controls = new Map();
    const fieldsets = LAYOUT.map(({ legend, fields }) => h('fieldset', {}, h('legend', {}, legend), ...fields.map((field) => {
      const info = form.fields[field];
      const control = buildControl(field, info, form.values[field], form.models);
      this.controls.set(field, control);
      const id = controlId(field);
      const label = h('label', { for: id }, info.title);
      const note = field === 'model' && form.models.length === 0 ? ' Ollama is not answering, so only the saved model is listed.' : '';
      const description = h('p', { class: 'desc', id: `${id}-desc` }, info.description + note);
      const error = h('p', { class: 'field-error', id: `${id}-error` });
      const isCheck = info.type === 'boolean';
      return h('div', { class: `field${isCheck ? ' check' : ''}`, 'data-field': field },
        ...(isCheck ? [control, label] : [label, control]), description, error);
    })));
    replaceChildren(this.fieldsets, ...fieldsets);
  }

  private values(): Record<SettingsField, SettingValue> {
    const form = this.loaded!;
    const entries = [...this.controls].map(([field, control]) => [field, readControl(control, form.fields[field])]);
    return Object.fromEntries(entries) as Record<SettingsField, SettingValue>;
  }

  /** The fields whose value differs from what was loaded. */
  private changes(): SettingsPatch {
    if (this.loaded === null) return {};
    const original = this.loaded.values;
    const changed = Object.entries(this.values()).filter(([field, value]) => !Object.is(value, original[field as SettingsField]));
    return Object.fromEntries(changed) as SettingsPatch;
  }

  private edited(): void {
    this.status.textContent = '';
    this.updateButtons();
    clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => void this.validate(), VALIDATE_DELAY_MS);
  }

  private async validate(): Promise<void> {
    const generation = ++this.generation;
    const values = this.values();
    const problems = await this.bridge.validateSettings(values);
    if (generation !== this.generation) return;
    const stillRefused = this.refused.problems.filter((problem) =>
      Object.is(values[problem.field as SettingsField], this.refused.values[problem.field]));
    this.showProblems([...problems, ...stillRefused]);
  }

  private async submit(): Promise<void> {
    clearTimeout(this.validateTimer);
    const patch = this.changes();
    const values = this.values();
    if (Object.keys(patch).length === 0) {
      this.status.textContent = 'Nothing to apply.';
      return;
    }
    const generation = ++this.generation;
    this.apply.disabled = true;
    this.status.textContent = 'Applying…';
    const outcome = await this.bridge.applySettings(patch).catch((error: unknown): { ok: false; errors: SettingsProblem[] } => ({
      ok: false, errors: [{ field: '', message: (error as Error).message }],
    }));
    if (generation !== this.generation) return;
    if (outcome.ok) {
      await this.load();
      this.status.textContent = 'Applied. Calls in progress finish on the old settings.';
    } else {
      this.refused = { problems: outcome.errors, values };
      this.showProblems(outcome.errors);
      this.status.textContent = 'Not applied: see the messages above.';
      this.updateButtons();
    }
  }

  private showProblems(problems: readonly SettingsProblem[]): void {
    const unplaced: string[] = [];
    for (const [field, control] of this.controls) {
      const messages = problems.filter((problem) => problem.field === field).map((problem) => problem.message);
      byId(`${controlId(field)}-error`).textContent = messages.join(' ');
      control.setAttribute('aria-invalid', String(messages.length > 0));
    }
    for (const problem of problems) {
      if (!this.controls.has(problem.field as SettingsField)) unplaced.push(problem.message);
    }
    this.general.textContent = unplaced.join(' ');
  }

  private updateButtons(): void {
    const dirty = Object.keys(this.changes()).length > 0;
    this.apply.disabled = !dirty;
    this.revert.disabled = !dirty;
  }
}
