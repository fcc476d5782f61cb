// Packages used by scripts/bench.ts that ship no type declarations.
declare module 'autocannon'
declare module 'better-sqlite3'
