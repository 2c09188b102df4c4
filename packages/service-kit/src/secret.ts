import { inspect } from 'node:util'

const REDACTED = '[secret]'

/**
 * A secret that cannot leak by accident: JSON.stringify, util.inspect, String() and template literals
 * all print `[secret]`. Only `reveal()` gives the value, and only the signature check calls it.
 */
export class Secret {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  toJSON(): string {
    return REDACTED
  }

  toString(): string {
    return REDACTED
  }

  [inspect.custom](): string {
    return REDACTED
  }
}
