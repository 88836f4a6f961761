import os from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../../config.js';

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** One-click unsubscribe (RFC 8058): mail clients show their own button for it. */
  unsubscribeUrl: string | null;
}

/** Sends through the configured SMTP server (`EARSHOT_SMTP_URL`); null when none is set. */
export class Mailer {
  private readonly transport: Transporter;
  private readonly from: string;

  private constructor(config: Pick<Config, 'smtpUrl' | 'smtpFrom' | 'statusTitle'>) {
    this.transport = nodemailer.createTransport(config.smtpUrl!);
    this.from = config.smtpFrom ?? `${config.statusTitle} status <status@${os.hostname()}>`;
  }

  static fromConfig(config: Pick<Config, 'smtpUrl' | 'smtpFrom' | 'statusTitle'>): Mailer | null {
    return config.smtpUrl ? new Mailer(config) : null;
  }

  async send(mail: Email): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      ...(mail.unsubscribeUrl && {
        headers: { 'List-Unsubscribe': `<${mail.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      }),
    });
  }

  close(): void {
    this.transport.close();
  }
}
