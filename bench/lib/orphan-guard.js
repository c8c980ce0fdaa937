// Preloaded into every child process the benchmark starts (`node --import <this file> …`).
// When the benchmark process disappears without cleaning up (SIGKILL, a crash), the child is
// re-parented; this notices within half a second and stops the child with SIGTERM (so the engine
// runs its own shutdown and a --cpu-prof profile is still written), then exits for sure.
const parent = process.ppid;
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  try {
    process.kill(process.pid, 'SIGTERM');
  } catch {
    /* ignore */
  }
  setTimeout(() => process.exit(1), 5000).unref();
}, 500);
timer.unref();
