/**
 * Files uploaded to attachment and image fields, stored in the database (fw_files), and the
 * checks on signature values. See file-service.ts (upload, download), record-files.ts (what
 * record writes do with file refs), cleanup.ts (orphans), sniff.ts (types from bytes).
 */
export { FileService, cleanFileName, tooLarge, type UploadTarget } from './file-service.js';
export { prepareRecordFiles, attachRecordFiles, removeRecordFiles, fileField, fileFieldPaths, holdsFileRefs, recordHoldsFile } from './record-files.js';
export { cleanupFiles, registerFileCleanup, scheduleFileCleanup, FILES_CLEANUP_JOB, UNATTACHED_TTL_MS, type CleanupResult } from './cleanup.js';
export { fileUrl, newFileId, FILES_TABLE, type FileRef, type FileRow } from './file-store.js';
export { sniffMime, isPng } from './sniff.js';
export { signatureProblem } from './signature.js';
