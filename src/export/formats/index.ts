import type { ExportFormat, FormatInfo } from '../types.js';
import { csv } from './csv.js';
import { html } from './html.js';
import { json } from './json.js';
import { markdown } from './markdown.js';

export const formats: Readonly<Record<ExportFormat, FormatInfo>> = { markdown, csv, json, html };

export { CSV_COLUMNS } from './csv.js';
export { JSON_EXPORT_VERSION } from './json.js';
