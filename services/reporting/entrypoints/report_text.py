"""The yearly report's words in Bahasa Indonesia (default) and English (``?lang=en``)."""

from __future__ import annotations

from typing import Literal

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "lang": "id", "title": "Laporan Pelaksanaan Kerja Sama Daerah",
        "province": "Pemerintah Daerah Provinsi Jawa Barat", "year_line": "Tahun {year}",
        "author": "Sekretariat TKKSD Provinsi Jawa Barat", "filename": "laporan-kerja-sama-{year}",
        "generated_at": "Dibuat", "at_time": "{date}, pukul {time} WIB",
        "as_of_day": "Keadaan per", "position": "Posisi umpan peristiwa",
        "checkpoint": "Titik periksa buku besar (posisi)", "head": "Hash titik periksa",
        "no_checkpoint": "belum ada",
        "verify": "Angka laporan ini dihitung dari umpan peristiwa sampai posisi {position}. "
        "Siapa pun dapat menghitungnya kembali dari umpan publik:",
        "empty_year": "Tidak ada kerja sama yang tercatat untuk tahun {year}.",
        "provisional": "Angka sementara: sebagian catatan sedang diperiksa.",
        "none": "Tidak ada.", "page": "Halaman {page} dari {pages}",
        "summary": "Ringkasan", "item": "Keterangan", "value_column": "Nilai",
        "report": "Laporan", "government": "Pemerintah daerah", "year": "Tahun",
        "check": "Pemeriksaan dari umpan publik",
        "s_indicators": "1. Indikator kinerja", "sheet_indicators": "Indikator",
        "s_signed": "2. Naskah yang ditandatangani pada tahun {year}",
        "sheet_signed": "Ditandatangani",
        "s_follow_up": "3. Tindak lanjut per perangkat daerah", "sheet_follow_up": "Tindak lanjut",
        "s_sleeping": "4. Dokumen tidur", "sheet_sleeping": "Dokumen tidur",
        "s_evaluations": "5. Evaluasi pada tahun {year}", "sheet_evaluations": "Evaluasi",
        "s_evidence_realization": "6. Bukti: realisasi jumlah naskah",
        "sheet_evidence_realization": "Bukti realisasi",
        "s_evidence_effectiveness": "7. Bukti: efektivitas kerja sama",
        "sheet_evidence_effectiveness": "Bukti efektivitas",
        "indicator": "Indikator", "numerator": "Pembilang", "denominator": "Penyebut",
        "value": "Nilai (%)", "target": "Target (%)", "achievement": "Capaian (%)",
        "realization": "Realisasi Jumlah Naskah Kerja Sama",
        "effectiveness": "Efektivitas Kerja Sama",
        "realization_rule": "Realisasi: naskah yang direncanakan untuk tahun {year} dan "
        "ditandatangani pada tahun itu \u00f7 semua naskah yang direncanakan untuk tahun "
        "{year} \u00d7 100.",
        "effectiveness_rule": "Efektivitas: MOU dan PKS yang berlaku pada tahun {year} dan "
        "ditindaklanjuti pada tahun itu \u00f7 MOU dan PKS yang berlaku pada tahun {year} "
        "\u00d7 100.",
        "achievement_rule": "Capaian = nilai \u00f7 target \u00d7 100.",
        "no_work_program": "Belum ada program kerja (target) untuk tahun {year}.",
        "number": "Nomor", "title_column": "Judul", "partners": "Mitra", "kind": "Jenis",
        "document_type": "Naskah", "lead_opd": "Perangkat daerah",
        "signed_on": "Ditandatangani", "effective_from": "Berlaku sejak",
        "effective_until": "Berlaku sampai", "in_force": "Berlaku",
        "followed_up": "Ditindaklanjuti", "not_followed_up": "Tanpa tindak lanjut",
        "share": "Efektivitas (%)", "sleeping_count": "Dokumen tidur",
        "follow_up_note": "MOU dan PKS yang berlaku pada tahun {year} per perangkat daerah "
        "pelaksana, dan dokumen tidurnya per {day}.",
        "last_activity": "Kegiatan terakhir", "days_quiet": "Hari tanpa kegiatan",
        "sleeping_note": "Kerja sama yang berlaku tanpa tindak lanjut {days} hari atau lebih, "
        "per {day}.",
        "evaluated_on": "Tanggal evaluasi", "score": "Nilai (1-5)",
        "recommendation": "Rekomendasi", "note": "Catatan",
        "CONTINUE": "Dilanjutkan", "EXPAND": "Diperluas", "STOP": "Dihentikan",
        "status": "Status", "counted": "Dihitung", "excluded": "Tidak dihitung",
        "reason": "Alasan", "event": "Peristiwa penentu", "event_date": "Tanggal",
        "event_position": "Posisi",
        "evidence_note": "{counted} dihitung dan {excluded} tidak dihitung; setiap baris "
        "menyebut peristiwa yang menentukannya.",
        "SIGNED_IN_YEAR": "Ditandatangani pada tahun ini",
        "FOLLOWED_UP_IN_YEAR": "Ditindaklanjuti pada tahun ini",
        "NOT_SIGNED": "Belum ditandatangani",
        "SIGNED_OTHER_YEAR": "Ditandatangani pada tahun lain", "REJECTED": "Ditolak",
        "WITHDRAWN": "Ditarik kembali",
        "NO_FOLLOW_UP_IN_YEAR": "Tanpa tindak lanjut pada tahun ini",
        "REALISED": "Terealisasi", "NOT_REALISED": "Belum terealisasi",
        "s_planning_agencies": "8. Pemetaan, prioritas dan nilai kerja sama: per perangkat "
        "daerah", "sheet_planning_agencies": "Pemetaan dan nilai",
        "s_planning_priorities": "9. Pemetaan, prioritas dan nilai kerja sama: per prioritas",
        "sheet_planning_priorities": "Prioritas",
        "planning_note": "Butir pemetaan kerja sama tahun {year} yang aktif dan yang "
        "terealisasi (naskah yang menyebutnya telah ditandatangani); nilai uang dan barang "
        "naskah yang ditandatangani pada tahun {year}; pendapatan daerah dari tindak lanjut "
        "bertanggal tahun {year}.",
        "priorities_note": "Prioritas kebijakan program kerja tahun {year}: realisasi, "
        "efektivitas, jumlah usulan, pemetaan dan nilai per prioritas.",
        "province_row": "Provinsi", "priority": "Kode prioritas",
        "priority_name": "Prioritas", "realization_short": "Realisasi (%)",
        "effectiveness_short": "Efektivitas (%)", "agreements_count": "Usulan",
        "items_mapped": "Butir dipetakan", "items_mapped_realised": "Butir terealisasi",
        "value_cash": "Nilai uang", "value_in_kind": "Nilai barang/jasa",
        "revenue": "Pendapatan daerah",
        "s_partners": "10. Mitra kerja sama pada tahun {year}", "sheet_partners": "Mitra",
        "partners_note": "Mitra yang naskahnya ditandatangani pada tahun {year}, berlaku "
        "pada tahun itu atau mendatangkan pendapatan daerah pada tahun itu, menurut daftar "
        "mitra (naskah mitra yang digabung dihitung pada mitra tempat ia digabung): nilai "
        "uang dan barang/jasa naskah yang ditandatangani pada tahun {year}, pendapatan "
        "daerah dari tindak lanjut bertanggal tahun {year}. Urut menurut kategori, lalu nama.",
        "partner": "Mitra", "category": "Kategori", "country": "Negara",
        "signed_count": "Ditandatangani", "value_total": "Nilai (uang dan barang/jasa)",
        "category_REGIONAL_GOVERNMENT": "Pemerintah daerah",
        "category_FOREIGN_REGIONAL_GOVERNMENT": "Pemerintah daerah luar negeri",
        "category_MINISTRY_OR_AGENCY": "Kementerian/lembaga",
        "category_STATE_UNIVERSITY": "Perguruan tinggi negeri",
        "category_OTHER_INSTITUTION": "Lembaga lain", "category_THIRD_PARTY": "Pihak ketiga",
        "category_FOREIGN_INSTITUTION": "Lembaga luar negeri",
        "event_signed": "Penandatanganan", "event_follow_up_recorded": "Tindak lanjut",
        "event_milestone_completed": "Tahapan selesai", "event_rejected": "Penolakan",
        "event_withdrawn": "Penarikan", "event_terminated": "Pengakhiran",
        "decimal": ",", "date_format": "dd/mm/yyyy", "short_date": "%d/%m/%Y",
        "months": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober "
        "November Desember",
    },
    "en": {
        "lang": "en", "title": "Report on the Implementation of Regional Cooperation",
        "province": "Provincial Government of West Java", "year_line": "Year {year}",
        "author": "TKKSD Secretariat of West Java Province",
        "filename": "cooperation-report-{year}",
        "generated_at": "Generated", "at_time": "{date}, {time} WIB",
        "as_of_day": "As of", "position": "Event feed position",
        "checkpoint": "Ledger checkpoint (position)", "head": "Checkpoint head",
        "no_checkpoint": "none yet",
        "verify": "The figures of this report are computed from the event feed up to position "
        "{position}. Anyone can recompute them from the public feed:",
        "empty_year": "Nothing is recorded for {year}.",
        "provisional": "Provisional figures: some records are being checked.",
        "none": "None.", "page": "Page {page} of {pages}",
        "summary": "Summary", "item": "Item", "value_column": "Value",
        "report": "Report", "government": "Regional government", "year": "Year",
        "check": "Check from the public feed",
        "s_indicators": "1. Performance indicators", "sheet_indicators": "Indicators",
        "s_signed": "2. Agreements signed in {year}", "sheet_signed": "Signed",
        "s_follow_up": "3. Follow-up per lead agency", "sheet_follow_up": "Follow-up",
        "s_sleeping": "4. Sleeping documents", "sheet_sleeping": "Sleeping documents",
        "s_evaluations": "5. Evaluations in {year}", "sheet_evaluations": "Evaluations",
        "s_evidence_realization": "6. Evidence: realization",
        "sheet_evidence_realization": "Evidence realization",
        "s_evidence_effectiveness": "7. Evidence: effectiveness",
        "sheet_evidence_effectiveness": "Evidence effectiveness",
        "indicator": "Indicator", "numerator": "Numerator", "denominator": "Denominator",
        "value": "Value (%)", "target": "Target (%)", "achievement": "Achievement (%)",
        "realization": "Realization of cooperation documents",
        "effectiveness": "Effectiveness of cooperation",
        "realization_rule": "Realization: documents planned for {year} and signed in it \u00f7 all "
        "documents planned for {year} \u00d7 100.",
        "effectiveness_rule": "Effectiveness: MOUs and PKS in force in {year} and followed up "
        "in it \u00f7 MOUs and PKS in force in {year} \u00d7 100.",
        "achievement_rule": "Achievement = value \u00f7 target \u00d7 100.",
        "no_work_program": "No work program (targets) for {year}.",
        "number": "Number", "title_column": "Title", "partners": "Partners", "kind": "Kind",
        "document_type": "Document", "lead_opd": "Lead agency", "signed_on": "Signed on",
        "effective_from": "In force from", "effective_until": "In force until",
        "in_force": "In force", "followed_up": "Followed up",
        "not_followed_up": "Not followed up", "share": "Effectiveness (%)",
        "sleeping_count": "Sleeping",
        "follow_up_note": "MOUs and PKS in force in {year} per lead agency, and its sleeping "
        "documents as of {day}.",
        "last_activity": "Last activity", "days_quiet": "Days without activity",
        "sleeping_note": "Agreements in force with no follow-up for {days} days or more, as "
        "of {day}.",
        "evaluated_on": "Evaluated on", "score": "Score (1-5)",
        "recommendation": "Recommendation", "note": "Note",
        "CONTINUE": "Continue", "EXPAND": "Expand", "STOP": "Stop",
        "status": "Status", "counted": "Counted", "excluded": "Excluded", "reason": "Reason",
        "event": "Deciding event", "event_date": "Date", "event_position": "Position",
        "evidence_note": "{counted} counted and {excluded} excluded; each row names the event "
        "that decided it.",
        "SIGNED_IN_YEAR": "Signed in the year", "FOLLOWED_UP_IN_YEAR": "Followed up in the year",
        "NOT_SIGNED": "Not signed", "SIGNED_OTHER_YEAR": "Signed in another year",
        "REJECTED": "Rejected", "WITHDRAWN": "Withdrawn",
        "NO_FOLLOW_UP_IN_YEAR": "No follow-up in the year",
        "REALISED": "Realised", "NOT_REALISED": "Not realised",
        "s_planning_agencies": "8. Mapping, priorities and value: per agency",
        "sheet_planning_agencies": "Mapping and value",
        "s_planning_priorities": "9. Mapping, priorities and value: per priority",
        "sheet_planning_priorities": "Priorities",
        "planning_note": "Active items of the {year} cooperation mapping and those realised "
        "(an agreement naming them was signed); value in cash and in kind of the agreements "
        "signed in {year}; regional revenue of the follow-ups dated in {year}.",
        "priorities_note": "The policy priorities of the {year} work program: realization, "
        "effectiveness, proposals, mapping and value per priority.",
        "province_row": "Province", "priority": "Priority code",
        "priority_name": "Priority", "realization_short": "Realization (%)",
        "effectiveness_short": "Effectiveness (%)", "agreements_count": "Proposals",
        "items_mapped": "Items mapped", "items_mapped_realised": "Items realised",
        "value_cash": "Value in cash", "value_in_kind": "Value in kind",
        "revenue": "Regional revenue",
        "s_partners": "10. Cooperation partners in {year}", "sheet_partners": "Partners",
        "partners_note": "Partners with agreements signed in {year}, in force in it or "
        "bringing regional revenue in it, as the partner registry names them (a merged "
        "partner's agreements count for the partner it was merged into): value in cash and "
        "in kind of the agreements signed in {year}, regional revenue of the follow-ups "
        "dated in {year}. By category, then name.",
        "partner": "Partner", "category": "Category", "country": "Country",
        "signed_count": "Signed", "value_total": "Value (cash and in kind)",
        "category_REGIONAL_GOVERNMENT": "Regional government",
        "category_FOREIGN_REGIONAL_GOVERNMENT": "Foreign regional government",
        "category_MINISTRY_OR_AGENCY": "Ministry or agency",
        "category_STATE_UNIVERSITY": "State university",
        "category_OTHER_INSTITUTION": "Other institution", "category_THIRD_PARTY": "Third party",
        "category_FOREIGN_INSTITUTION": "Foreign institution",
        "event_signed": "Signing", "event_follow_up_recorded": "Follow-up",
        "event_milestone_completed": "Milestone completed", "event_rejected": "Rejection",
        "event_withdrawn": "Withdrawal", "event_terminated": "Termination",
        "decimal": ".", "date_format": "yyyy-mm-dd", "short_date": "%Y-%m-%d",
        "months": "January February March April May June July August September October "
        "November December",
    },
}


def text_of(language: Language) -> dict[str, str]:
    """The report's words in a language."""
    return TEXT[language]
