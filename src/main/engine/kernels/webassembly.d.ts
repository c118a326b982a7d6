/* eslint-disable no-var, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-function-type -- the shapes of lib.dom.d.ts, kept mergeable */
/**
 * The WebAssembly JS API as Node 20 provides it, for the Node side of the project: its typings here
 * (lib ES2023, no DOM) do not declare it. Members are declared exactly as in TypeScript's lib.dom.d.ts,
 * trimmed to what the engine uses, so the two merge if DOM typings ever join this program.
 */
declare namespace WebAssembly {
  type ImportExportKind = 'function' | 'global' | 'memory' | 'table' | 'tag'
  type ExportValue = Function | Global | Memory | Table
  type Exports = Record<string, ExportValue>
  type ImportValue = ExportValue | number
  type ModuleImports = Record<string, ImportValue>
  type Imports = Record<string, ModuleImports>
  type AddressValue = number

  interface MemoryDescriptor {
    initial: AddressValue
    maximum?: AddressValue
    shared?: boolean
  }
  interface ModuleExportDescriptor {
    kind: ImportExportKind
    name: string
  }
  interface ModuleImportDescriptor {
    kind: ImportExportKind
    module: string
    name: string
  }
  interface WebAssemblyInstantiatedSource {
    instance: Instance
    module: Module
  }

  interface Global {
    value: unknown
    valueOf(): unknown
  }
  interface Table {
    readonly length: AddressValue
  }

  /** A memory; for `shared: true` the buffer is a SharedArrayBuffer (typed ArrayBuffer, as in lib.dom). */
  interface Memory {
    readonly buffer: ArrayBuffer
    grow(delta: AddressValue): AddressValue
  }
  var Memory: {
    prototype: Memory
    new (descriptor: MemoryDescriptor): Memory
  }

  interface Module {}
  var Module: {
    prototype: Module
    new (bytes: ArrayBufferView | ArrayBuffer): Module
    customSections(moduleObject: Module, sectionName: string): ArrayBuffer[]
    exports(moduleObject: Module): ModuleExportDescriptor[]
    imports(moduleObject: Module): ModuleImportDescriptor[]
  }

  interface Instance {
    readonly exports: Exports
  }
  var Instance: {
    prototype: Instance
    new (module: Module, importObject?: Imports): Instance
  }

  interface CompileError extends Error {}
  var CompileError: {
    prototype: CompileError
    new (message?: string): CompileError
    (message?: string): CompileError
  }
  interface LinkError extends Error {}
  var LinkError: {
    prototype: LinkError
    new (message?: string): LinkError
    (message?: string): LinkError
  }
  interface RuntimeError extends Error {}
  var RuntimeError: {
    prototype: RuntimeError
    new (message?: string): RuntimeError
    (message?: string): RuntimeError
  }

  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>
  function instantiate(
    bytes: ArrayBufferView | ArrayBuffer,
    importObject?: Imports,
  ): Promise<WebAssemblyInstantiatedSource>
  function instantiate(moduleObject: Module, importObject?: Imports): Promise<Instance>
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean
}
