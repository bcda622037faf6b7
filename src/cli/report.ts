export { reportText } from '../core/report-text.js';
