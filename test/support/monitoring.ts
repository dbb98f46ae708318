// Prometheus and Alertmanager started on a config file the test wrote, each on a free loopback port.
import { startDaemon, type Daemon } from './daemons.js';
import { freePort } from './ports.js';

/** Prometheus reading `configFile`, keeping its data in `dataDir`, up once /-/ready answers. */
export async function startPrometheus(configFile: string, dataDir: string, port?: number): Promise<Daemon> {
  const listen = `127.0.0.1:${port ?? (await freePort())}`;
  const args = [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=${listen}`];
  return startDaemon('prometheus', args, `http://${listen}`);
}

/** A single Alertmanager (no cluster) reading `configFile`, keeping its data in `dataDir`, up once /-/ready answers. */
export async function startAlertmanager(configFile: string, dataDir: string): Promise<Daemon> {
  const listen = `127.0.0.1:${await freePort()}`;
  const args = [`--config.file=${configFile}`, `--storage.path=${dataDir}`, `--web.listen-address=${listen}`];
  return startDaemon('prometheus-alertmanager', [...args, '--cluster.listen-address='], `http://${listen}`);
}
