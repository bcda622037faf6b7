// Prints the release notes of one version from CHANGELOG.md (Keep a Changelog format): the body of its
// `## [X.Y.Z] - YYYY-MM-DD` section. The release workflow publishes them as the GitHub release's notes.
//
//   node scripts/changelog-notes.mjs v1.2.3 [CHANGELOG.md]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const HEADING = /^## \[?(\d+\.\d+\.\d+[^\]\s]*|Unreleased)\]?(?:\s+[-–]\s+(\d{4}-\d{2}-\d{2}))?\s*$/i;
const LINK_DEFINITION = /^\[[^\]]+\]:\s+\S+/;
const isBlank = (line) => /^\s*$/.test(line);

/** @typedef {{ version: string, date: string | undefined, lines: string[] }} Section */

/**
 * Every version section of the changelog, in file order: version, date (if any) and body lines.
 * @param {string} text
 * @returns {Section[]}
 */
export function changelogSections(text) {
  const sections = [];
  let current;
  for (const line of text.split(/\r?\n/)) {
    const heading = HEADING.exec(line);
    if (heading) {
      current = { version: heading[1], date: heading[2], lines: [] };
      sections.push(current);
    } else if (/^##? /.test(line)) {
      current = undefined; // another top-level heading ends the section
    } else if (current) {
      current.lines.push(line);
    }
  }
  for (const section of sections) {
    // Keep a Changelog ends the file with link definitions ([1.0.0]: https://...): not part of the last section.
    while (
      section.lines.length &&
      (isBlank(section.lines.at(-1)) || LINK_DEFINITION.test(section.lines.at(-1)))
    )
      section.lines.pop();
    while (section.lines.length && isBlank(section.lines[0])) section.lines.shift();
  }
  return sections;
}

/**
 * The notes of `version` ('1.2.3', 'v1.2.3' or 'Unreleased'); throws when the changelog has none.
 * @param {string} text
 * @param {string} version
 * @returns {{ version: string, date: string | undefined, notes: string }}
 */
export function releaseNotes(text, version) {
  const wanted = version.replace(/^v(?=\d)/, '');
  const sections = changelogSections(text);
  const section = sections.find((s) => s.version.toLowerCase() === wanted.toLowerCase());
  if (!section) {
    const known = sections.map((s) => s.version).join(', ') || 'none';
    throw new Error(
      `CHANGELOG.md has no section for ${wanted} (it has: ${known}). Add a "## [${wanted}] - YYYY-MM-DD" section with the notes of this release.`,
    );
  }
  const notes = section.lines.join('\n').trim();
  if (!notes) throw new Error(`CHANGELOG.md's section for ${wanted} is empty: write what changed.`);
  return { version: section.version, date: section.date, notes };
}

function main(argv) {
  const [version, file = 'CHANGELOG.md'] = argv;
  if (!version) {
    process.stderr.write('usage: node scripts/changelog-notes.mjs vX.Y.Z [CHANGELOG.md]\n');
    return 2;
  }
  try {
    const release = releaseNotes(readFileSync(file, 'utf8'), version);
    if (release.version.toLowerCase() !== 'unreleased' && !release.date) {
      throw new Error(
        `CHANGELOG.md's section for ${release.version} has no date: write "## [${release.version}] - YYYY-MM-DD".`,
      );
    }
    process.stdout.write(`${release.notes}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = main(process.argv.slice(2));
