import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The decision core is a pure function of (state, input, now, policy): this reads its sources and
 * fails on anything that reaches outside — an import of a module with effects, the clock, randomness,
 * timers, the process or the network. Tests and their kits are exempt.
 */
const CORE = import.meta.dirname
const ALLOWED_IMPORTS = [/^\.\/[\w-]+\.ts$/, /^@mixguard\/contracts$/, /^zod$/]
const FORBIDDEN_GLOBALS = new Set([
  'performance',
  'process',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'queueMicrotask',
  'fetch',
  'globalThis',
  'require',
  'crypto',
])
const FORBIDDEN_MEMBERS = new Set(['Date.now', 'Math.random', 'crypto.randomUUID'])

function impurities(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const at = (node: ts.Node, what: string): void => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart())
    found.push(`${fileName}:${line + 1} ${what}`)
  }
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const name = node.moduleSpecifier.text
      if (!ALLOWED_IMPORTS.some((allowed) => allowed.test(name))) at(node, `imports '${name}'`)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      at(node, 'imports dynamically')
    } else if (ts.isPropertyAccessExpression(node)) {
      const text = `${node.expression.getText(file)}.${node.name.text}`
      if (FORBIDDEN_MEMBERS.has(text)) at(node, `uses ${text}`)
    } else if (ts.isNewExpression(node) && node.expression.getText(file) === 'Date') {
      if ((node.arguments?.length ?? 0) === 0) at(node, 'reads the clock with new Date()')
    } else if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text)) {
      const parent = node.parent
      const isMemberName = ts.isPropertyAccessExpression(parent) && parent.name === node
      const isKey = ts.isPropertyAssignment(parent) && parent.name === node
      if (!isMemberName && !isKey) at(node, `uses ${node.text}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  return found
}

const isTestSupport = (name: string): boolean => /\.test\.ts$|^test-/.test(name)

describe('the decision core is pure', () => {
  it('no core source imports effects or reads the clock, randomness, timers or the process', () => {
    const sources = readdirSync(CORE).filter((name) => name.endsWith('.ts') && !isTestSupport(name))
    expect(sources.length).toBeGreaterThan(10)
    const found = sources.flatMap((name) => impurities(name, readFileSync(join(CORE, name), 'utf8')))
    expect(found).toEqual([])
  })

  it('catches each kind of impurity', () => {
    const source = [
      "import { readFileSync } from 'node:fs'",
      "import { z } from 'zod'",
      "import { rules } from './policy.ts'",
      'const a = Date.now()',
      'const b = new Date()',
      'const c = new Date(0)',
      'const d = Math.random()',
      'const e = performance.now()',
      'setTimeout(() => {}, 1)',
      "const f = await import('./x.ts')",
      'const g = process.env.X',
      'const h = { setTimeout: 1 }.setTimeout',
    ].join('\n')
    expect(impurities('x.ts', source)).toEqual([
      "x.ts:1 imports 'node:fs'",
      'x.ts:4 uses Date.now',
      'x.ts:5 reads the clock with new Date()',
      'x.ts:7 uses Math.random',
      'x.ts:8 uses performance',
      'x.ts:9 uses setTimeout',
      'x.ts:10 imports dynamically',
      'x.ts:11 uses process',
    ])
  })
})
