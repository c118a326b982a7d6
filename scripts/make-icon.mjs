#!/usr/bin/env node
// Draws the app icon (resources/icon.png, 512×512): seven "kissing spheres" — one in the middle,
// six touching it — on a dark rounded square. A tiny PNG encoder (node:zlib), no dependencies.
// Run: node scripts/make-icon.mjs
import { deflateSync } from 'node:zlib'
import { writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SIZE = 512
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'icon.png')

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(bytes) {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}
export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0 // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4)
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

// Coverage of a pixel by a shape given its signed distance (negative inside): 1px anti-aliasing.
const cover = (distance) => Math.min(1, Math.max(0, 0.5 - distance))

function roundedSquareDistance(x, y) {
  const half = SIZE / 2 - 16
  const radius = 96
  const qx = Math.abs(x - SIZE / 2) - (half - radius)
  const qy = Math.abs(y - SIZE / 2) - (half - radius)
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius
}

const r = 62
const spheres = [{ x: SIZE / 2, y: SIZE / 2, color: [255, 196, 92] }]
for (let i = 0; i < 6; i++) {
  const angle = (Math.PI / 3) * i - Math.PI / 2
  spheres.push({ x: SIZE / 2 + 2 * r * Math.cos(angle), y: SIZE / 2 + 2 * r * Math.sin(angle), color: [92, 170, 255] })
}

const pixels = Buffer.alloc(SIZE * SIZE * 4)
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const px = x + 0.5
    const py = y + 0.5
    const t = py / SIZE
    let color = [24 + 12 * t, 28 + 14 * t, 44 + 24 * t]
    for (const s of spheres) {
      const d = Math.hypot(px - s.x, py - s.y)
      const a = cover(d - (r - 3))
      if (a === 0) continue
      // Simple shading: lighter towards the top-left.
      const light = 0.75 + 0.35 * Math.max(0, 1 - Math.hypot(px - (s.x - r / 3), py - (s.y - r / 3)) / (1.4 * r))
      const shaded = s.color.map((c) => Math.min(255, c * light))
      color = color.map((c, i) => c * (1 - a) + shaded[i] * a)
    }
    const o = (y * SIZE + x) * 4
    pixels[o] = Math.round(color[0])
    pixels[o + 1] = Math.round(color[1])
    pixels[o + 2] = Math.round(color[2])
    pixels[o + 3] = Math.round(255 * cover(roundedSquareDistance(px, py)))
  }
}

mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, encodePng(SIZE, SIZE, pixels))
console.log(`wrote ${out}`)
